// cert-manager simulator (kube-sim-spec §12.12): Issuer/ClusterIssuer readiness, and the
// Certificate lifecycle through CertificateRequests to a `kubernetes.io/tls` Secret.
// `selfSigned` and `ca` issuers are signed here; `acme` issuers are handed to the pluggable
// CertificateIssuer (by default, the cluster's own CA). Issuance is asynchronous, failures become
// `Ready=False` with the issuer's reason and are retried with exponential backoff, and a spec
// change (dnsNames, issuerRef, secretName...) re-issues with `revision + 1`.

import { createHash, createPrivateKey, type webcrypto } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { ResourceType } from '../api/registry.ts';
import { createCsr, generateKeyPair, issueLeaf, loadCertificateAuthority, parseCertificate, parseCsr, splitPem, type CertificateAuthority, type KeyAlgorithm } from '../server/tls.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, isObject, obj, str, text, type JsonObject } from '../util/json.ts';
import { formatGoDuration, parseGoDuration, rfc3339 } from '../util/time.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { getCondition, ownerRefTo, setCondition, splitKey, type Condition } from './util.ts';

const GROUP = 'cert-manager.io';
const MANAGER = 'cert-manager-certificates-issuing';
const MAX_TIMER = 2_000_000_000;

/** What the cert-manager simulator asks a pluggable issuer to sign. */
export interface CertificateIssueRequest {
  clusterName: string;
  /** Namespace and name of the Certificate. */
  namespace: string;
  name: string;
  /** The revision being issued (status.revision + 1). */
  revision: number;
  commonName?: string;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  /** Requested lifetime in milliseconds (spec.duration, default 90 days). */
  durationMs: number;
  isCA: boolean;
  secretName: string;
  issuerRef: { name: string; kind: string; group: string };
  /** The referenced Issuer/ClusterIssuer. */
  issuer: { kind: string; name: string; namespace?: string; spec: JsonObject };
  /** PEM PKCS#10 request signed with the private key the simulator generated. */
  csrPem: string;
  /** Aborted when the Certificate changes or is deleted before issuance completes. */
  signal: AbortSignal;
}

export type CertificateIssueResult =
  | {
      ok: true;
      /** Leaf first, then intermediates. */
      certificateChainPem: string;
      /** Becomes `ca.crt`. */
      caPem?: string;
      /** Only when the issuer generated the key itself. */
      privateKeyPem?: string;
    }
  | { ok: false; reason: string; message: string; retryAfterMs?: number };

export interface IssuerRegistration {
  ok: boolean;
  reason?: string;
  message?: string;
  /** ACME account URI (status.acme.uri). */
  uri?: string;
}

/** Signs certificates for ACME issuers. Implemented by the simulated world's ACME CA. */
export interface CertificateIssuer {
  issue(request: CertificateIssueRequest): Promise<CertificateIssueResult>;
  /** Checks an ACME issuer's account; absent means every account registers. */
  registerAccount?(issuer: { kind: string; name: string; namespace?: string; spec: JsonObject }): Promise<IssuerRegistration>;
}

/** A CertificateIssuer that signs every request with a CA (the default: the cluster's CA). */
export function caCertificateIssuer(ca: CertificateAuthority | (() => CertificateAuthority)): CertificateIssuer {
  return {
    async issue(req) {
      const authority = typeof ca === 'function' ? ca() : ca;
      const csr = await parseCsr(req.csrPem);
      const leaf = await issueLeaf(authority, {
        ...(req.commonName ? { commonName: req.commonName } : {}),
        dnsNames: req.dnsNames,
        ipAddresses: req.ipAddresses,
        uris: req.uris,
        notAfter: new Date(Date.now() + req.durationMs),
        publicKey: csr.publicKey,
        isCA: req.isCA,
      });
      return { ok: true, certificateChainPem: leaf.certificatePem, caPem: authority.certificatePem };
    },
  };
}

export interface CertManagerOptions {
  clusterName: string;
  issuer: () => CertificateIssuer;
  issueDelayMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  clusterResourceNamespace: string;
}

interface InFlight {
  hash: string;
  revision: number;
  abort: AbortController;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function unb64(s: unknown): string {
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '';
}

function issuerSpecType(spec: JsonObject): 'selfSigned' | 'ca' | 'acme' | 'other' {
  if (spec.selfSigned !== undefined) return 'selfSigned';
  if (isObject(spec.ca)) return 'ca';
  if (isObject(spec.acme)) return 'acme';
  return 'other';
}

export function certManagerController(ctx: ControllerContext, options: CertManagerOptions): Controller {
  const rt = (plural: string): ResourceType | undefined => ctx.maybeRt(`${GROUP}/${plural}`);
  const inflight = new Map<string, InFlight>();
  const failures = new Map<string, { count: number; nextAt: number }>();
  const registrations = new Map<string, { spec: string; result?: IssuerRegistration }>();
  const caCache = new Map<string, { version: string; ca: Promise<CertificateAuthority> }>();
  let queueRef: Queue | undefined;

  const issuerOf = (cert: KubeObject): { kind: string; name: string; namespace?: string; object: KubeObject | undefined; group: string } => {
    const ref = obj(obj(cert.spec).issuerRef);
    const kind = str(ref.kind) ?? 'Issuer';
    const group = str(ref.group) ?? GROUP;
    const name = text(ref.name ?? '');
    if (kind === 'ClusterIssuer') {
      const r = rt('clusterissuers');
      return { kind, name, object: r ? ctx.store.get(r, '', name) : undefined, group };
    }
    const r = rt('issuers');
    const ns = cert.metadata.namespace ?? '';
    return { kind: 'Issuer', name, namespace: ns, object: r ? ctx.store.get(r, ns, name) : undefined, group };
  };

  const desiredHash = (cert: KubeObject): string => {
    const spec = obj(cert.spec);
    return createHash('sha1')
      .update(JSON.stringify([spec.commonName, spec.dnsNames, spec.ipAddresses, spec.uris, spec.issuerRef, spec.duration, spec.secretName, spec.isCA, obj(spec.privateKey).algorithm]))
      .digest('hex');
  };

  return {
    name: 'cert-manager',
    onEvent(e: StoreEvent, queue: Queue) {
      queueRef = queue;
      if (e.rt.group === GROUP) {
        const key = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
        switch (e.rt.kind) {
          case 'Certificate':
            if (e.type === 'DELETED') {
              inflight.get(key)?.abort.abort();
              inflight.delete(key);
              failures.delete(key);
            } else if (e.type === 'ADDED' || e.old?.metadata.generation !== e.object.metadata.generation || e.object.metadata.deletionTimestamp) {
              queue.add(`cert:${key}`);
            }
            return;
          case 'Issuer':
          case 'ClusterIssuer': {
            const prefix = e.rt.kind === 'Issuer' ? 'iss' : 'ciss';
            if (e.type !== 'DELETED') queue.add(`${prefix}:${key}`);
            const certRt = rt('certificates');
            if (!certRt) return;
            for (const c of e.rt.kind === 'Issuer' ? ctx.store.iterate(certRt, e.object.metadata.namespace ?? '') : ctx.store.iterate(certRt)) {
              const ref = obj(obj(c.spec).issuerRef);
              if (ref.name === e.object.metadata.name && (str(ref.kind) ?? 'Issuer') === e.rt.kind) queue.add(`cert:${c.metadata.namespace ?? ''}/${c.metadata.name}`);
            }
            return;
          }
          default:
            return;
        }
      }
      if (e.rt.key === '/secrets') {
        const ns = e.object.metadata.namespace ?? '';
        const certRt = rt('certificates');
        if (certRt && e.type !== 'ADDED') {
          for (const c of ctx.store.iterate(certRt, ns)) if (obj(c.spec).secretName === e.object.metadata.name) queue.add(`cert:${ns}/${c.metadata.name}`);
        }
        for (const [kind, plural] of [['iss', 'issuers'], ['ciss', 'clusterissuers']] as const) {
          const r = rt(plural);
          if (!r) continue;
          for (const i of plural === 'issuers' ? ctx.store.iterate(r, ns) : ctx.store.iterate(r)) {
            if (str(obj(obj(i.spec).ca).secretName) === e.object.metadata.name) queue.add(`${kind}:${i.metadata.namespace ?? ''}/${i.metadata.name}`);
          }
        }
      }
    },
    resync(queue) {
      queueRef = queue;
      const issuers = rt('issuers');
      if (issuers) for (const i of ctx.store.iterate(issuers)) queue.add(`iss:${i.metadata.namespace ?? ''}/${i.metadata.name}`);
      const cissuers = rt('clusterissuers');
      if (cissuers) for (const i of ctx.store.iterate(cissuers)) queue.add(`ciss:/${i.metadata.name}`);
      const certs = rt('certificates');
      if (certs) for (const c of ctx.store.iterate(certs)) queue.add(`cert:${c.metadata.namespace ?? ''}/${c.metadata.name}`);
    },
    reconcile(key, queue) {
      queueRef = queue;
      const type = key.slice(0, key.indexOf(':'));
      const rest = key.slice(key.indexOf(':') + 1);
      if (type === 'iss' || type === 'ciss') return reconcileIssuer(type, rest, queue);
      if (type === 'cert') return reconcileCertificate(rest, queue);
      return undefined;
    },
    stop() {
      for (const f of inflight.values()) f.abort.abort();
      inflight.clear();
    },
  };

  function issuerReady(o: KubeObject | undefined): boolean {
    return getCondition(o, 'Ready')?.status === 'True';
  }

  function reconcileIssuer(type: 'iss' | 'ciss', key: string, queue: Queue): number | undefined {
    const r = rt(type === 'iss' ? 'issuers' : 'clusterissuers');
    if (!r) return undefined;
    const [ns, name] = splitKey(key);
    const issuer = ctx.store.get(r, type === 'iss' ? ns : '', name);
    if (!issuer) return undefined;
    const spec = obj(issuer.spec);
    const gen = issuer.metadata.generation;
    const now = ctx.now();
    let ready: Condition;
    let acme: JsonObject | undefined;
    switch (issuerSpecType(spec)) {
      case 'selfSigned':
        ready = { type: 'Ready', status: 'True', reason: 'IsReady', message: '', observedGeneration: gen };
        break;
      case 'ca': {
        const secretNs = type === 'iss' ? ns : options.clusterResourceNamespace;
        const secretName = text(obj(spec.ca).secretName ?? '');
        const secret = ctx.store.get(ctx.rt('/secrets'), secretNs, secretName);
        const data = obj(secret?.data);
        if (!secret) ready = { type: 'Ready', status: 'False', reason: 'ErrGetKeyPair', message: `Error getting keypair for CA issuer: secrets "${secretName}" not found`, observedGeneration: gen };
        else if (typeof data['tls.crt'] !== 'string' || typeof data['tls.key'] !== 'string') ready = { type: 'Ready', status: 'False', reason: 'ErrGetKeyPair', message: 'Error getting keypair for CA issuer: secret does not contain tls.crt and tls.key', observedGeneration: gen };
        else ready = { type: 'Ready', status: 'True', reason: 'KeyPairVerified', message: 'Signing CA verified', observedGeneration: gen };
        break;
      }
      case 'acme': {
        const a = obj(spec.acme);
        const regKey = `${type}:${key}`;
        const specJson = JSON.stringify(a);
        const reg = registrations.get(regKey);
        const pluggable = options.issuer();
        if (!pluggable.registerAccount) {
          ready = { type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered', message: 'The ACME account was registered with the ACME server', observedGeneration: gen };
        } else if (!reg || reg.spec !== specJson) {
          registrations.set(regKey, { spec: specJson });
          const request = { kind: issuer.kind, name, ...(type === 'iss' ? { namespace: ns } : {}), spec: obj(issuer.spec) };
          pluggable.registerAccount(request).then(
            (result) => {
              const current = registrations.get(regKey);
              if (current?.spec === specJson) {
                current.result = result;
                queueRef?.add(`${type}:${key}`);
              }
            },
            (err: unknown) => {
              const current = registrations.get(regKey);
              if (current?.spec === specJson) {
                current.result = { ok: false, reason: 'ErrRegisterACMEAccount', message: `Failed to register ACME account: ${err instanceof Error ? err.message : String(err)}` };
                queueRef?.add(`${type}:${key}`);
              }
            },
          );
          return undefined;
        } else if (!reg.result) {
          return undefined;
        } else if (reg.result.ok) {
          ready = { type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered', message: 'The ACME account was registered with the ACME server', observedGeneration: gen };
        } else {
          ready = { type: 'Ready', status: 'False', reason: reg.result.reason ?? 'ErrRegisterACMEAccount', message: reg.result.message ?? 'Failed to register ACME account', observedGeneration: gen };
        }
        const server = text(a.server ?? 'https://acme.invalid/directory');
        acme = {
          uri: reg?.result?.uri ?? `${server.replace(/\/directory$/, '')}/acct/${createHash('sha1').update(`${ns}/${name}`).digest('hex').slice(0, 16)}`,
          ...(typeof a.email === 'string' ? { lastRegisteredEmail: a.email } : {}),
          lastPrivateKeyHash: createHash('sha256').update(`${ns}/${name}/${String(obj(a.privateKeySecretRef).name)}`).digest('base64'),
        };
        break;
      }
      case 'other':
      default:
        ready = { type: 'Ready', status: 'False', reason: 'UnsupportedIssuer', message: 'satusky-sim simulates selfSigned, ca and acme issuers only', observedGeneration: gen };
    }
    const status: JsonObject = { ...obj(issuer.status), conditions: setCondition(obj(issuer.status).conditions, ready, now) };
    if (acme) status.acme = acme;
    ctx.storage.writeStatus(r, issuer.metadata.namespace ?? '', name, status, { fieldManager: 'cert-manager-issuers' });
    void queue;
    return undefined;
  }

  function secretIssuance(cert: KubeObject, secret: KubeObject | undefined, issuerName: string, issuerKind: string): { reason: string; message: string } | undefined {
    const spec = obj(cert.spec);
    if (!secret) return { reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' };
    const data = obj(secret.data);
    if (typeof data['tls.crt'] !== 'string' || typeof data['tls.key'] !== 'string') return { reason: 'MissingData', message: 'Issuing certificate as Secret does not contain a certificate' };
    const ann = obj(secret.metadata.annotations);
    if (ann['cert-manager.io/issuer-name'] !== issuerName || ann['cert-manager.io/issuer-kind'] !== issuerKind) {
      return { reason: 'IncorrectIssuer', message: `Issuing certificate as Secret was previously issued by "${text(ann['cert-manager.io/issuer-kind'] ?? '')}.cert-manager.io/${text(ann['cert-manager.io/issuer-name'] ?? '')}"` };
    }
    const want = arr(spec.dnsNames).map(String).join(',');
    if ((ann['cert-manager.io/alt-names'] ?? '') !== want || (ann['cert-manager.io/common-name'] ?? '') !== (str(spec.commonName) ?? '') || (ann['cert-manager.io/ip-sans'] ?? '') !== arr(spec.ipAddresses).map(String).join(',')) {
      return { reason: 'SecretMismatch', message: 'Issuing certificate as Secret was previously issued with a different request (DNS names, common name or IP addresses changed)' };
    }
    if (ann['cert-manager.io/certificate-name'] !== cert.metadata.name) return { reason: 'SecretMismatch', message: `Issuing certificate as Secret is owned by Certificate "${text(ann['cert-manager.io/certificate-name'] ?? '')}"` };
    let parsed: ReturnType<typeof parseCertificate> | undefined;
    try {
      parsed = parseCertificate(splitPem(unb64(data['tls.crt']))[0] ?? '');
    } catch {
      return { reason: 'InvalidCertificate', message: 'Issuing certificate as Secret contains an invalid certificate' };
    }
    const renewal = renewalTime(cert, parsed.notBefore.getTime(), parsed.notAfter.getTime());
    if (ctx.now() >= renewal) return { reason: 'Renewing', message: `Renewing certificate as renewal was scheduled at ${rfc3339(renewal)}` };
    return undefined;
  }

  function renewalTime(cert: KubeObject, notBefore: number, notAfter: number): number {
    const spec = obj(cert.spec);
    const lifetime = notAfter - notBefore;
    const pct = typeof spec.renewBeforePercentage === 'number' ? spec.renewBeforePercentage : undefined;
    const renewBefore = parseGoDuration(spec.renewBefore) ?? (pct !== undefined ? (lifetime * pct) / 100 : lifetime / 3);
    return notAfter - Math.min(renewBefore, lifetime);
  }

  function reconcileCertificate(key: string, queue: Queue): number | undefined {
    const certRt = rt('certificates');
    if (!certRt) return undefined;
    const [ns, name] = splitKey(key);
    const cert = ctx.store.get(certRt, ns, name);
    const running = inflight.get(key);
    if (!cert || cert.metadata.deletionTimestamp) {
      running?.abort.abort();
      inflight.delete(key);
      return undefined;
    }
    const spec = obj(cert.spec);
    const gen = cert.metadata.generation;
    const now = ctx.now();
    const issuer = issuerOf(cert);
    if (issuer.group !== GROUP) return undefined;
    const secretName = str(spec.secretName);
    const hasName = arr(spec.dnsNames).length > 0 || arr(spec.ipAddresses).length > 0 || arr(spec.uris).length > 0 || str(spec.commonName) !== undefined;
    if (!secretName || !issuer.name || !hasName) {
      writeCertStatus(cert, [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.secretName, spec.issuerRef.name and at least one of commonName, dnsNames, ipAddresses or uris are required', observedGeneration: gen }]);
      return undefined;
    }
    const secret = ctx.store.get(ctx.rt('/secrets'), ns, secretName);
    const need = secretIssuance(cert, secret, issuer.name, issuer.kind);
    const hash = desiredHash(cert);
    if (!need) {
      if (running) {
        running.abort.abort();
        inflight.delete(key);
      }
      failures.delete(key);
      const parsed = parseCertificate(splitPem(unb64(obj(secret?.data)['tls.crt']))[0] ?? '');
      const renewal = renewalTime(cert, parsed.notBefore.getTime(), parsed.notAfter.getTime());
      writeCertStatus(
        cert,
        [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', observedGeneration: gen }],
        { notBefore: rfc3339(parsed.notBefore.getTime()), notAfter: rfc3339(parsed.notAfter.getTime()), renewalTime: rfc3339(renewal), revision: Math.max(1, Number(obj(cert.status).revision ?? 1)) },
        true,
      );
      return Math.min(Math.max(1, renewal - now), MAX_TIMER);
    }
    if (running && running.hash === hash) return undefined;
    if (running) {
      running.abort.abort();
      inflight.delete(key);
    }
    const fail = failures.get(key);
    if (fail && fail.nextAt > now) return fail.nextAt - now;
    const issuing: Condition = { type: 'Issuing', status: 'True', reason: need.reason, message: need.message, observedGeneration: gen };
    const notReady: Condition = { type: 'Ready', status: 'False', reason: fail ? String(getCondition(cert, 'Ready')?.reason ?? need.reason) : need.reason, message: fail ? String(getCondition(cert, 'Ready')?.message ?? need.message) : need.message, observedGeneration: gen };
    if (!issuer.object || !issuerReady(issuer.object)) {
      writeCertStatus(cert, [notReady, issuing]);
      return undefined;
    }
    writeCertStatus(cert, [notReady, issuing]);
    const revision = Number(obj(cert.status).revision ?? 0) + 1;
    const abort = new AbortController();
    inflight.set(key, { hash, revision, abort });
    ctx.events.record(cert, 'Normal', 'Issuing', need.message, 'cert-manager-certificates-trigger');
    const task = issue(cert, issuer, revision, abort.signal, key, hash);
    task.catch((err: unknown) => {
      ctx.log('warn', 'certificate issuance failed unexpectedly', { certificate: key, error: err instanceof Error ? err.message : String(err) });
      if (inflight.get(key)?.hash === hash) inflight.delete(key);
      onFailure(key, { reason: 'Failed', message: err instanceof Error ? err.message : String(err) });
    });
    void queue;
    return undefined;
  }

  function writeCertStatus(cert: KubeObject, conditions: Condition[], extra: JsonObject = {}, removeIssuing = false): void {
    const certRt = rt('certificates');
    if (!certRt) return;
    const now = ctx.now();
    const prev = obj(cert.status);
    let list: unknown = prev.conditions;
    for (const c of conditions) list = setCondition(list, c, now);
    if (removeIssuing) list = arr(list).filter((c) => obj(c).type !== 'Issuing');
    const status: JsonObject = { ...prev, ...extra, conditions: list };
    if (removeIssuing) {
      delete status.failedIssuanceAttempts;
      delete status.lastFailureTime;
      delete status.nextPrivateKeySecretName;
    }
    ctx.storage.writeStatus(certRt, cert.metadata.namespace ?? '', cert.metadata.name, status, { fieldManager: MANAGER });
  }

  async function issue(cert: KubeObject, issuer: ReturnType<typeof issuerOf>, revision: number, signal: AbortSignal, key: string, hash: string): Promise<void> {
    const spec = obj(cert.spec);
    const ns = cert.metadata.namespace ?? '';
    const algorithm: KeyAlgorithm = obj(spec.privateKey).algorithm === 'RSA' ? 'RSA' : 'ECDSA';
    const names = {
      ...(str(spec.commonName) ? { commonName: String(spec.commonName) } : {}),
      dnsNames: arr(spec.dnsNames).map(String),
      ipAddresses: arr(spec.ipAddresses).map(String),
      uris: arr(spec.uris).map(String),
    };
    const durationMs = parseGoDuration(spec.duration) ?? 2160 * 3_600_000;
    if (options.issueDelayMs > 0) await new Promise((r) => setTimeout(r, options.issueDelayMs).unref());
    const key_ = await generateKeyPair(algorithm);
    const csrPem = await createCsr(key_.keys, names);
    if (signal.aborted) return;
    const crRt = rt('certificaterequests');
    const crName = `${cert.metadata.name}-${revision}`;
    let cr: KubeObject | undefined;
    if (crRt) {
      const existing = ctx.store.get(crRt, ns, crName);
      if (existing) {
        try {
          ctx.storage.delete(crRt, ns, crName, {});
        } catch {
          // already gone
        }
      }
      try {
        cr = ctx.storage.create(
          crRt,
          ns,
          {
            apiVersion: 'cert-manager.io/v1',
            kind: 'CertificateRequest',
            metadata: {
              name: crName,
              namespace: ns,
              annotations: {
                'cert-manager.io/certificate-name': cert.metadata.name,
                'cert-manager.io/certificate-revision': String(revision),
                'cert-manager.io/private-key-secret-name': `${cert.metadata.name}-sim`,
              },
              ...(cert.metadata.labels ? { labels: cert.metadata.labels } : {}),
              ownerReferences: [ownerRefTo(cert)],
            },
            spec: {
              duration: formatGoDuration(durationMs),
              issuerRef: { name: issuer.name, kind: issuer.kind, group: GROUP },
              ...(spec.isCA === true ? { isCA: true } : {}),
              request: b64(csrPem),
              usages: arr(spec.usages).length > 0 ? spec.usages : ['digital signature', 'key encipherment'],
              username: 'system:serviceaccount:cert-manager:cert-manager',
              groups: ['system:serviceaccounts', 'system:serviceaccounts:cert-manager', 'system:authenticated'],
            },
          },
          { internal: true, fieldManager: 'cert-manager-certificates-request-manager' },
        );
        const now = ctx.now();
        let conds = setCondition([], { type: 'Approved', status: 'True', reason: 'cert-manager.io', message: 'Certificate request has been approved by cert-manager.io' }, now);
        conds = setCondition(conds, { type: 'Ready', status: 'False', reason: 'Pending', message: `Waiting on certificate issuance from ${issuer.kind} "${issuer.name}"` }, now);
        ctx.storage.writeStatus(crRt, ns, crName, { conditions: conds }, { fieldManager: 'cert-manager-certificaterequests-approver' });
        ctx.events.record(cert, 'Normal', 'Requested', `Created new CertificateRequest resource "${crName}"`, 'cert-manager-certificates-request-manager');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    }
    const issuerSpec = obj(issuer.object?.spec);
    let result: CertificateIssueResult;
    const kind = issuerSpecType(issuerSpec);
    if (kind === 'selfSigned') {
      const leaf = await issueLeaf(undefined, { ...names, notAfter: new Date(Date.now() + durationMs), isCA: spec.isCA === true }, key_.keys);
      result = { ok: true, certificateChainPem: leaf.certificatePem, caPem: leaf.certificatePem };
    } else if (kind === 'ca') {
      result = await signWithCaIssuer(issuer, issuerSpec, names, durationMs, spec.isCA === true, key_.keys.publicKey);
    } else {
      try {
        result = await options.issuer().issue({
          clusterName: options.clusterName,
          namespace: ns,
          name: cert.metadata.name,
          revision,
          ...names,
          durationMs,
          isCA: spec.isCA === true,
          secretName: String(spec.secretName),
          issuerRef: { name: issuer.name, kind: issuer.kind, group: GROUP },
          issuer: { kind: issuer.kind, name: issuer.name, ...(issuer.namespace ? { namespace: issuer.namespace } : {}), spec: issuerSpec },
          csrPem,
          signal,
        });
      } catch (err) {
        result = { ok: false, reason: 'Failed', message: err instanceof Error ? err.message : String(err) };
      }
    }
    if (signal.aborted) return;
    const still = inflight.get(key);
    if (!still || still.hash !== hash) return;
    inflight.delete(key);
    const now = ctx.now();
    if (!result.ok) {
      if (crRt && cr) {
        ctx.storage.writeStatus(crRt, ns, crName, { conditions: setCondition(obj(ctx.store.get(crRt, ns, crName)?.status).conditions, { type: 'Ready', status: 'False', reason: 'Failed', message: result.message }, now), failureTime: rfc3339(now) }, { fieldManager: 'cert-manager-certificaterequests-issuer' });
      }
      onFailure(key, result);
      return;
    }
    const chain = result.certificateChainPem;
    const privateKeyPem = result.privateKeyPem ?? key_.privateKeyPem;
    const caPem = result.caPem ?? splitPem(chain).slice(-1)[0] ?? '';
    const current = ctx.store.get(rt('certificates') as ResourceType, ns, cert.metadata.name);
    if (!current) return;
    writeSecret(current, issuer, chain, privateKeyPem, caPem);
    if (crRt && cr) {
      ctx.storage.writeStatus(
        crRt,
        ns,
        crName,
        {
          conditions: setCondition(obj(ctx.store.get(crRt, ns, crName)?.status).conditions, { type: 'Ready', status: 'True', reason: 'Issued', message: 'Certificate fetched from issuer successfully' }, now),
          certificate: b64(chain),
          ...(caPem ? { ca: b64(caPem) } : {}),
        },
        { fieldManager: 'cert-manager-certificaterequests-issuer' },
      );
      for (const old of [...ctx.store.iterate(crRt, ns)]) {
        const ann = obj(old.metadata.annotations);
        if (ann['cert-manager.io/certificate-name'] === cert.metadata.name && Number(ann['cert-manager.io/certificate-revision'] ?? 0) < revision) {
          try {
            ctx.storage.delete(crRt, ns, old.metadata.name, {});
          } catch {
            // already gone
          }
        }
      }
    }
    const parsed = parseCertificate(splitPem(chain)[0] ?? '');
    const renewal = renewalTime(current, parsed.notBefore.getTime(), parsed.notAfter.getTime());
    failures.delete(key);
    writeCertStatus(
      current,
      [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', observedGeneration: current.metadata.generation }],
      { notBefore: rfc3339(parsed.notBefore.getTime()), notAfter: rfc3339(parsed.notAfter.getTime()), renewalTime: rfc3339(renewal), revision },
      true,
    );
    ctx.events.record(current, 'Normal', 'Issuing', 'The certificate has been successfully issued', 'cert-manager-certificates-issuing');
    queueRef?.add(`cert:${key}`, Math.min(Math.max(1, renewal - now), MAX_TIMER));
  }

  async function signWithCaIssuer(
    issuer: ReturnType<typeof issuerOf>,
    spec: JsonObject,
    names: { commonName?: string; dnsNames: string[]; ipAddresses: string[]; uris: string[] },
    durationMs: number,
    isCA: boolean,
    publicKey: webcrypto.CryptoKey,
  ): Promise<CertificateIssueResult> {
    const secretNs = issuer.kind === 'ClusterIssuer' ? options.clusterResourceNamespace : (issuer.namespace ?? '');
    const secretName = text(obj(spec.ca).secretName ?? '');
    const secret = ctx.store.get(ctx.rt('/secrets'), secretNs, secretName);
    if (!secret) return { ok: false, reason: 'ErrGetKeyPair', message: `Error getting keypair for CA issuer: secrets "${secretName}" not found` };
    const data = obj(secret.data);
    const certPem = splitPem(unb64(data['tls.crt']))[0] ?? '';
    const cacheKey = `${secretNs}/${secretName}`;
    const version = secret.metadata.resourceVersion;
    let cached = caCache.get(cacheKey);
    if (!cached || cached.version !== version) {
      const keyPem = createPrivateKey(unb64(data['tls.key'])).export({ type: 'pkcs8', format: 'pem' }).toString();
      cached = { version, ca: loadCertificateAuthority(certPem, keyPem) };
      caCache.set(cacheKey, cached);
    }
    try {
      const ca = await cached.ca;
      const leaf = await issueLeaf(ca, { ...names, notAfter: new Date(Date.now() + durationMs), publicKey, isCA });
      return { ok: true, certificateChainPem: `${leaf.certificatePem}${certPem}`, caPem: certPem };
    } catch (err) {
      caCache.delete(cacheKey);
      return { ok: false, reason: 'ErrSigning', message: `Error signing certificate: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  function writeSecret(cert: KubeObject, issuer: ReturnType<typeof issuerOf>, chain: string, keyPem: string, caPem: string): void {
    const spec = obj(cert.spec);
    const ns = cert.metadata.namespace ?? '';
    const name = String(spec.secretName);
    const secretsRt = ctx.rt('/secrets');
    const template = obj(spec.secretTemplate);
    const annotations: Record<string, string> = {
      ...(obj(template.annotations) as Record<string, string>),
      'cert-manager.io/alt-names': arr(spec.dnsNames).map(String).join(','),
      'cert-manager.io/certificate-name': cert.metadata.name,
      'cert-manager.io/common-name': str(spec.commonName) ?? '',
      'cert-manager.io/ip-sans': arr(spec.ipAddresses).map(String).join(','),
      'cert-manager.io/issuer-group': GROUP,
      'cert-manager.io/issuer-kind': issuer.kind,
      'cert-manager.io/issuer-name': issuer.name,
      'cert-manager.io/uri-sans': arr(spec.uris).map(String).join(','),
    };
    const labels: Record<string, string> = { ...(obj(template.labels) as Record<string, string>), 'controller.cert-manager.io/fao': 'true' };
    const data = { 'ca.crt': b64(caPem), 'tls.crt': b64(chain), 'tls.key': b64(keyPem) };
    const existing = ctx.store.get(secretsRt, ns, name);
    if (!existing) {
      try {
        ctx.storage.create(secretsRt, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, annotations, labels }, type: 'kubernetes.io/tls', data }, { internal: true, fieldManager: 'cert-manager-certificates-issuing' });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
      return;
    }
    ctx.storage.mutate(secretsRt, ns, name, (draft) => {
      draft.metadata.annotations = { ...obj(draft.metadata.annotations), ...annotations };
      draft.metadata.labels = { ...obj(draft.metadata.labels), ...labels };
      draft.data = { ...obj(draft.data), ...data };
      if (draft.type === undefined || draft.type === 'Opaque') draft.type = 'kubernetes.io/tls';
    }, { fieldManager: 'cert-manager-certificates-issuing' });
  }

  function onFailure(key: string, failure: { reason: string; message: string; retryAfterMs?: number }): void {
    const certRt = rt('certificates');
    if (!certRt) return;
    const [ns, name] = splitKey(key);
    const cert = ctx.store.get(certRt, ns, name);
    if (!cert) return;
    const now = ctx.now();
    const count = (failures.get(key)?.count ?? 0) + 1;
    const delay = failure.retryAfterMs ?? Math.min(options.retryBaseMs * 2 ** (count - 1), options.retryMaxMs);
    failures.set(key, { count, nextAt: now + delay });
    const gen = cert.metadata.generation;
    writeCertStatus(
      cert,
      [
        { type: 'Ready', status: 'False', reason: failure.reason, message: failure.message, observedGeneration: gen },
        { type: 'Issuing', status: 'False', reason: 'Failed', message: `The certificate request has failed to complete and will be retried: ${failure.message}`, observedGeneration: gen },
      ],
      { failedIssuanceAttempts: count, lastFailureTime: rfc3339(now) },
    );
    ctx.events.record(cert, 'Warning', 'Failed', `The certificate request has failed to complete and will be retried: ${failure.message}`, 'cert-manager-certificates-issuing');
    queueRef?.add(`cert:${key}`, delay);
  }
}
