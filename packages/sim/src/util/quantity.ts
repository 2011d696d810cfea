// Kubernetes resource quantities ("500m", "128Mi", "1k", "1.5Gi"), enough for scheduling and metrics.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a quantity into a plain number (cores for CPU, bytes for memory). NaN when malformed. */
export function parseQuantity(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const m = /^([+-]?[0-9.]+)(?:[eE]([+-]?[0-9]+))?([a-zA-Z]*)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const base = Number(m[1]) * (m[2] === undefined ? 1 : 10 ** Number(m[2]));
  const suffix = m[3] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? Number.NaN : base * factor;
}

/** Formats CPU cores as the metrics API does ("12345678n" nanocores are common; we use millicores). */
export function formatCpu(cores: number): string {
  const nano = Math.max(0, Math.round(cores * 1e9));
  return `${nano}n`;
}

/** Formats bytes as Ki, the metrics API's usual unit. */
export function formatMemory(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}
