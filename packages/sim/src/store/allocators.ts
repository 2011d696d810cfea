// IP and port allocation for Services (clusterIP, nodePort) and Pods (podIP).

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class IpPool {
  readonly #base: number;
  readonly #size: number;
  readonly #used = new Set<number>();
  #next: number;

  /** `cidr` like 10.96.0.0/12; `first` skips the network address and reserved low addresses. */
  constructor(cidr: string, first = 1) {
    const [ip = '0.0.0.0', bits = '24'] = cidr.split('/');
    this.#base = ipToInt(ip);
    this.#size = 2 ** (32 - Number(bits));
    this.#next = first;
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip) - this.#base;
    return n >= 0 && n < this.#size;
  }

  reserve(ip: string): boolean {
    if (!this.contains(ip)) return true;
    const n = ipToInt(ip) - this.#base;
    if (this.#used.has(n)) return false;
    this.#used.add(n);
    return true;
  }

  allocate(): string {
    for (let i = 0; i < this.#size - 2; i++) {
      const n = this.#next;
      this.#next = this.#next + 1 >= this.#size - 1 ? 1 : this.#next + 1;
      if (!this.#used.has(n)) {
        this.#used.add(n);
        return intToIp(this.#base + n);
      }
    }
    throw new Error('address pool exhausted');
  }

  release(ip: string): void {
    if (this.contains(ip)) this.#used.delete(ipToInt(ip) - this.#base);
  }
}

export class PortPool {
  readonly #min: number;
  readonly #max: number;
  readonly #used = new Set<number>();
  #next: number;

  constructor(min: number, max: number) {
    this.#min = min;
    this.#max = max;
    this.#next = min;
  }

  reserve(port: number): boolean {
    if (this.#used.has(port)) return false;
    this.#used.add(port);
    return true;
  }

  allocate(): number {
    for (let i = 0; i <= this.#max - this.#min; i++) {
      const p = this.#next;
      this.#next = p >= this.#max ? this.#min : p + 1;
      if (!this.#used.has(p)) {
        this.#used.add(p);
        return p;
      }
    }
    throw new Error('node port range exhausted');
  }

  release(port: number): void {
    this.#used.delete(port);
  }

  inRange(port: number): boolean {
    return port >= this.#min && port <= this.#max;
  }
}

export class Allocators {
  readonly serviceIPs = new IpPool('10.96.0.0/12', 11);
  readonly nodePorts = new PortPool(30000, 32767);
  readonly podIPs = new IpPool('10.244.0.0/16', 2);
}
