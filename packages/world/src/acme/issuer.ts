// The world's ACME-style CA, as the simulated cert-manager's pluggable CertificateIssuer (used for
// Issuers/ClusterIssuers with `spec.acme`). For every name it publishes an HTTP-01 challenge in the
// world-wide challenge store, validates it over the real network (world DNS, then HTTP to the
// address the name resolves to), and signs with the world root CA only when every name passed.
// A failure becomes the Certificate's `Ready=False` condition: the simulator copies `reason` and
// `message` into it (and retries with backoff, or after `retryAfterMs`).

import { createHash, randomBytes } from 'node:crypto';
import { issueLeaf, parseCsr, type CertificateAuthority, type CertificateIssueRequest, type CertificateIssueResult, type CertificateIssuer, type IssuerRegistration, type Logger } from '@satusky/sim';
import type { HostPort } from '../options.ts';
import { arr, errorMessage, isObject, obj, str, type JsonObject } from '../util/json.ts';
import type { ChallengeStore } from './challenges.ts';
import { validateHttp01, type Http01Result } from './http01.ts';

export const ACME_DIRECTORY = 'https://acme.world.satusky.invalid/directory';
const NO_RETRY_MS = 3_600_000;

export interface AcmeIssuerOptions {
  authority: () => CertificateAuthority;
  challenges: ChallengeStore;
  /** Resolves once the world's DNS and edges are up (their ports are known). */
  ready: Promise<void>;
  dns: () => HostPort;
  httpPort: () => number;
  timeoutMs: number;
  log?: Logger;
}

export interface ValidationAttempt {
  at: string;
  certificate: string;
  names: string[];
  ok: boolean;
  reason?: string;
  message?: string;
}

type Failure = Extract<CertificateIssueResult, { ok: false }>;

function fail(reason: string, message: string, retryAfterMs?: number): Failure {
  return { ok: false, reason, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** Checks that the request is something HTTP-01 can validate (pure); returns the names to validate. */
export function checkRequest(req: Pick<CertificateIssueRequest, 'dnsNames' | 'commonName' | 'ipAddresses' | 'uris' | 'issuer'>): { names: string[] } | Failure {
  const solvers = arr(obj(req.issuer.spec.acme).solvers).filter(isObject);
  if (!solvers.some((s) => isObject(s.http01))) {
    return fail('NoHTTP01Solver', `${req.issuer.kind} ${req.issuer.name} has no http01 solver; the world's ACME CA validates names with HTTP-01 only`, NO_RETRY_MS);
  }
  const names = [...new Set([...req.dnsNames, ...(req.commonName ? [req.commonName] : [])].map((n) => n.toLowerCase().replace(/\.$/, '')))];
  const wildcards = names.filter((n) => n.includes('*'));
  if (wildcards.length > 0) {
    return fail('WildcardNotSupported', `${wildcards.join(', ')}: the HTTP-01 challenge cannot validate wildcard names (ACME requires DNS-01 for them); list the names explicitly`, NO_RETRY_MS);
  }
  if (req.ipAddresses.length > 0 || req.uris.length > 0) {
    return fail('UnsupportedIdentifier', `the world's ACME CA issues for DNS names only, not ${[...req.ipAddresses, ...req.uris].join(', ')}`, NO_RETRY_MS);
  }
  if (names.length === 0) return fail('NoIdentifiers', 'the Certificate names no DNS names (spec.dnsNames)', NO_RETRY_MS);
  return { names };
}

function thumbprint(issuer: { kind: string; name: string; namespace?: string; spec: JsonObject }): string {
  const keyRef = str(obj(obj(issuer.spec.acme).privateKeySecretRef).name) ?? '';
  return createHash('sha256').update(`${issuer.kind}/${issuer.namespace ?? ''}/${issuer.name}/${keyRef}`).digest('base64url');
}

export class WorldAcmeIssuer implements CertificateIssuer {
  readonly #o: AcmeIssuerOptions;
  readonly #log: Logger;
  readonly #attempts: ValidationAttempt[] = [];
  #issued = 0;

  constructor(options: AcmeIssuerOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => undefined);
  }

  /** Recent validations (newest last, at most 100). */
  attempts(): ValidationAttempt[] {
    return [...this.#attempts];
  }

  get issuedCount(): number {
    return this.#issued;
  }

  async registerAccount(issuer: { kind: string; name: string; namespace?: string; spec: JsonObject }): Promise<IssuerRegistration> {
    const acme = obj(issuer.spec.acme);
    const server = str(acme.server);
    if (!server) return { ok: false, reason: 'ErrRegisterACMEAccount', message: 'Failed to register ACME account: spec.acme.server is required' };
    try {
      new URL(server);
    } catch {
      return { ok: false, reason: 'ErrRegisterACMEAccount', message: `Failed to register ACME account: "${server}" is not a URL` };
    }
    return { ok: true, uri: `${ACME_DIRECTORY.replace(/\/directory$/, '')}/acct/${thumbprint(issuer).slice(0, 16)}` };
  }

  async issue(req: CertificateIssueRequest): Promise<CertificateIssueResult> {
    const certificate = `${req.clusterName}/${req.namespace}/${req.name}`;
    const checked = checkRequest(req);
    if (!('names' in checked)) {
      this.#record({ certificate, names: req.dnsNames, ok: false, reason: checked.reason, message: checked.message });
      return checked;
    }
    const names = checked.names;
    await this.#o.ready;
    const print = thumbprint(req.issuer);
    const challenges = names.map((name) => {
      const token = randomBytes(32).toString('base64url');
      return { name, token, keyAuthorization: `${token}.${print}` };
    });
    const expiresAt = Date.now() + Math.max(60_000, this.#o.timeoutMs * 4);
    for (const c of challenges) this.#o.challenges.add({ token: c.token, identifier: c.name, keyAuthorization: c.keyAuthorization, expiresAt });
    let results: Http01Result[];
    try {
      results = await Promise.all(
        challenges.map((c) =>
          validateHttp01({
            name: c.name,
            token: c.token,
            keyAuthorization: c.keyAuthorization,
            dns: this.#o.dns(),
            httpPort: this.#o.httpPort(),
            timeoutMs: this.#o.timeoutMs,
            signal: req.signal,
          }),
        ),
      );
    } finally {
      for (const c of challenges) this.#o.challenges.remove(c.token);
    }
    if (req.signal.aborted) return fail('Canceled', 'the Certificate changed while it was being validated');
    const failed = results.find((r): r is Extract<Http01Result, { ok: false }> => !r.ok);
    if (failed) {
      this.#record({ certificate, names, ok: false, reason: failed.reason, message: failed.message });
      this.#log('info', 'ACME validation failed', { certificate, reason: failed.reason, message: failed.message });
      return fail(failed.reason, failed.message);
    }
    try {
      const csr = await parseCsr(req.csrPem);
      const authority = this.#o.authority();
      const leaf = await issueLeaf(authority, {
        ...(req.commonName ? { commonName: req.commonName } : {}),
        dnsNames: names,
        notAfter: new Date(Date.now() + req.durationMs),
        publicKey: csr.publicKey,
        serverAuth: true,
      });
      this.#issued++;
      this.#record({ certificate, names, ok: true });
      return { ok: true, certificateChainPem: leaf.certificatePem, caPem: authority.certificatePem };
    } catch (err) {
      return fail('ErrSigning', `the world CA could not sign the certificate: ${errorMessage(err)}`);
    }
  }

  #record(a: Omit<ValidationAttempt, 'at'>): void {
    this.#attempts.push({ at: new Date().toISOString(), ...a });
    if (this.#attempts.length > 100) this.#attempts.splice(0, this.#attempts.length - 100);
  }
}
