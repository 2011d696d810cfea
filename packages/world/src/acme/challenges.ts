// The world-wide store of pending ACME HTTP-01 challenges. Every edge answers
// `/.well-known/acme-challenge/<token>` from it, which models Satusky's edges forwarding ACME
// challenges to the zone that is issuing: the CA may reach the name through any zone's edge.

export interface Challenge {
  token: string;
  /** The name being validated (lower-case): the request's Host must be this name. */
  identifier: string;
  keyAuthorization: string;
  expiresAt: number;
}

export class ChallengeStore {
  readonly #byToken = new Map<string, Challenge>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  add(challenge: Challenge): void {
    this.#byToken.set(challenge.token, { ...challenge, identifier: challenge.identifier.toLowerCase() });
  }

  remove(token: string): void {
    this.#byToken.delete(token);
  }

  /** The key authorization to serve for `token` when requested with Host `host`, else undefined. */
  answer(token: string, host: string): string | undefined {
    const c = this.#byToken.get(token);
    if (!c) return undefined;
    if (c.expiresAt <= this.#now()) {
      this.#byToken.delete(token);
      return undefined;
    }
    return c.identifier === host.toLowerCase() ? c.keyAuthorization : undefined;
  }

  get size(): number {
    return this.#byToken.size;
  }
}
