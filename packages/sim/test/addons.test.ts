// Storage, cert-manager and Velero simulation through the library API, with a pluggable ACME
// issuer standing in for the simulated world's CA.

import { X509Certificate } from 'node:crypto';
import { Certificate, CertificateRequest, ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caCertificateIssuer, createCertificateAuthority, type CertificateIssueRequest, type CertificateIssuer, type KubeObject, type SimCluster } from '../src/index.ts';
import { startTestCluster } from './helpers/cluster.ts';
import { waitFor } from './helpers/kubectl.ts';
import { validate } from './helpers/models.ts';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Cond = { type: string; status: string; reason: string; message: string };
const cond = (o: unknown, type: string): Cond | undefined => (((o as Obj | undefined)?.status?.conditions as Cond[] | undefined) ?? []).find((c) => c.type === type);
const CM = 'cert-manager.io/v1';

describe('storage, cert-manager and velero simulation', () => {
  let cluster: SimCluster;
  let problems: string[] = [];
  const requests: CertificateIssueRequest[] = [];
  let failuresLeft = 2;

  beforeAll(async () => {
    const acme = await createCertificateAuthority('Sim ACME CA');
    const signer = caCertificateIssuer(acme);
    const issuer: CertificateIssuer = {
      async issue(req) {
        requests.push(req);
        if (req.dnsNames.some((d) => d.endsWith('.invalid'))) return { ok: false, reason: 'ChallengeFailed', message: `HTTP-01 challenge for ${req.dnsNames.join(',')} failed: no such host` };
        if (failuresLeft > 0) {
          failuresLeft--;
          return { ok: false, reason: 'OrderFailed', message: 'simulated ACME outage' };
        }
        return signer.issue(req);
      },
      async registerAccount(i) {
        return String(i.spec.acme && (i.spec.acme as Record<string, unknown>).email).endsWith('@blocked.test')
          ? { ok: false, reason: 'ErrRegisterACMEAccount', message: 'account registration refused' }
          : { ok: true, uri: 'https://acme.sim/acct/1' };
      },
    };
    ({ cluster, problems } = await startTestCluster({ name: 'addons', nodes: 1, port: 0, certificateIssuer: issuer, certManager: { retryBaseMs: 50, retryMaxMs: 200 } }));
  });

  afterAll(async () => {
    await cluster?.stop();
    expect(problems).toEqual([]);
  });

  it('binds claims of the default ceph-block class to provisioned volumes', async () => {
    cluster.objects.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } });
    const pvc = await waitFor(() => {
      const o = cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data', namespace: 'default' });
      return o?.status?.phase === 'Bound' ? o : undefined;
    }, { what: 'claim bound' });
    expect(pvc.spec).toMatchObject({ storageClassName: 'ceph-block', volumeMode: 'Filesystem', volumeName: `pvc-${pvc.metadata.uid}` });
    expect(pvc.status).toMatchObject({ capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] });
    expect(pvc.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    validate(PersistentVolumeClaim, pvc);
    const pv = cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolume', name: `pvc-${pvc.metadata.uid}` }) as Obj;
    expect(pv.status?.phase).toBe('Bound');
    expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Delete', claimRef: { name: 'data', namespace: 'default' }, csi: { driver: 'rook-ceph.rbd.csi.ceph.com' } });
    validate(PersistentVolume, pv);
    // Expansion, then deletion releases and deletes the volume.
    cluster.objects.patch({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data', namespace: 'default' }, { spec: { resources: { requests: { storage: '8Gi' } } } });
    await waitFor(() => ((cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data', namespace: 'default' }) as Obj).status?.capacity as { storage: string }).storage === '8Gi', { what: 'expansion' });
    cluster.objects.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data', namespace: 'default' });
    await waitFor(() => !cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolume', name: `pvc-${pvc.metadata.uid}` }), { what: 'volume reclaimed' });
  });

  it('registers ACME issuers through the pluggable issuer', async () => {
    cluster.objects.create({ apiVersion: CM, kind: 'ClusterIssuer', metadata: { name: 'acme' }, spec: { acme: { server: 'https://acme.sim/directory', email: 'ops@example.test', privateKeySecretRef: { name: 'acme-key' }, solvers: [{ http01: { gatewayHTTPRoute: { parentRefs: [{ name: 'edge' }] } } }] } } });
    cluster.objects.create({ apiVersion: CM, kind: 'ClusterIssuer', metadata: { name: 'blocked' }, spec: { acme: { server: 'https://acme.sim/directory', email: 'x@blocked.test', privateKeySecretRef: { name: 'k' }, solvers: [] } } });
    const ok = await waitFor(() => {
      const o = cluster.objects.get<Obj>({ apiVersion: CM, kind: 'ClusterIssuer', name: 'acme' });
      return cond(o, 'Ready')?.status === 'True' ? o : undefined;
    }, { what: 'acme issuer ready' });
    expect(cond(ok, 'Ready')).toMatchObject({ reason: 'ACMEAccountRegistered', message: 'The ACME account was registered with the ACME server' });
    expect((ok).status?.acme).toMatchObject({ uri: 'https://acme.sim/acct/1', lastRegisteredEmail: 'ops@example.test' });
    validate(ClusterIssuer, ok);
    await waitFor(() => cond(cluster.objects.get<Obj>({ apiVersion: CM, kind: 'ClusterIssuer', name: 'blocked' }), 'Ready')?.reason === 'ErrRegisterACMEAccount', { what: 'blocked issuer not ready' });
  });

  it('retries failed issuance with backoff, then issues a TLS secret signed by the ACME CA', async () => {
    cluster.objects.create({ apiVersion: CM, kind: 'Certificate', metadata: { name: 'shop', namespace: 'default' }, spec: { secretName: 'shop-tls', dnsNames: ['shop.example.test'], issuerRef: { name: 'acme', kind: 'ClusterIssuer' } } });
    const failed = await waitFor(() => {
      const c = cluster.objects.get<Obj>({ apiVersion: CM, kind: 'Certificate', name: 'shop', namespace: 'default' });
      return cond(c, 'Ready')?.reason === 'OrderFailed' ? c : undefined;
    }, { what: 'the failure surfaced' });
    expect(cond(failed, 'Ready')).toMatchObject({ status: 'False', message: 'simulated ACME outage' });
    expect(cond(failed, 'Issuing')).toMatchObject({ status: 'False', reason: 'Failed' });
    const ready = await waitFor(() => {
      const c = cluster.objects.get<Obj>({ apiVersion: CM, kind: 'Certificate', name: 'shop', namespace: 'default' });
      return cond(c, 'Ready')?.status === 'True' ? c : undefined;
    }, { what: 'issued after retries' });
    expect(cond(ready, 'Ready')).toMatchObject({ reason: 'Ready', message: 'Certificate is up to date and has not expired' });
    expect(cond(ready, 'Issuing')).toBeUndefined();
    expect(ready.status).toMatchObject({ revision: 1, notBefore: expect.any(String) as unknown, notAfter: expect.any(String) as unknown, renewalTime: expect.any(String) as unknown });
    validate(Certificate, ready);
    expect(requests.filter((r) => r.name === 'shop')).toHaveLength(3);
    expect(requests[0]).toMatchObject({ clusterName: 'addons', namespace: 'default', secretName: 'shop-tls', issuerRef: { name: 'acme', kind: 'ClusterIssuer', group: 'cert-manager.io' }, issuer: { kind: 'ClusterIssuer', spec: { acme: { email: 'ops@example.test' } } } });
    expect(requests[0]?.csrPem).toContain('BEGIN CERTIFICATE REQUEST');
    const secret = cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'Secret', name: 'shop-tls', namespace: 'default' }) as Obj & { data: Record<string, string>; type: string };
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(secret.metadata.annotations).toMatchObject({ 'cert-manager.io/certificate-name': 'shop', 'cert-manager.io/alt-names': 'shop.example.test', 'cert-manager.io/issuer-kind': 'ClusterIssuer', 'cert-manager.io/issuer-name': 'acme' });
    expect(secret.metadata.labels).toMatchObject({ 'controller.cert-manager.io/fao': 'true' });
    const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString());
    expect(leaf.subjectAltName).toBe('DNS:shop.example.test');
    expect(leaf.issuer).toContain('Sim ACME CA');
    const crs = cluster.objects.list<Obj>({ apiVersion: CM, kind: 'CertificateRequest' }, { namespace: 'default' });
    expect(crs.map((c) => c.metadata.name)).toEqual(['shop-1']);
    expect(cond(crs[0], 'Ready')).toMatchObject({ status: 'True', reason: 'Issued' });
    validate(CertificateRequest, crs[0]);
  });

  it('re-issues with revision + 1 when the dnsNames change', async () => {
    cluster.objects.patch({ apiVersion: CM, kind: 'Certificate', name: 'shop', namespace: 'default' }, { spec: { dnsNames: ['shop.example.test', 'www.shop.example.test'] } });
    const cert = await waitFor(() => {
      const c = cluster.objects.get<Obj>({ apiVersion: CM, kind: 'Certificate', name: 'shop', namespace: 'default' });
      return c?.status?.revision === 2 && cond(c, 'Ready')?.status === 'True' ? c : undefined;
    }, { what: 'revision 2' });
    expect(cond(cert, 'Ready')?.status).toBe('True');
    const secret = cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'Secret', name: 'shop-tls', namespace: 'default' }) as Obj & { data: Record<string, string> };
    const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString());
    expect(leaf.subjectAltName).toBe('DNS:shop.example.test, DNS:www.shop.example.test');
  });

  it('surfaces an issuer failure reason on the Certificate', async () => {
    cluster.objects.create({ apiVersion: CM, kind: 'Certificate', metadata: { name: 'bad', namespace: 'default' }, spec: { secretName: 'bad-tls', dnsNames: ['nowhere.invalid'], issuerRef: { name: 'acme', kind: 'ClusterIssuer' } } });
    const c = await waitFor(() => {
      const o = cluster.objects.get<Obj>({ apiVersion: CM, kind: 'Certificate', name: 'bad', namespace: 'default' });
      return cond(o, 'Ready')?.reason === 'ChallengeFailed' && Number(o?.status?.failedIssuanceAttempts) >= 2 ? o : undefined;
    }, { what: 'ChallengeFailed with retries' });
    expect(cond(c, 'Ready')?.message).toBe('HTTP-01 challenge for nowhere.invalid failed: no such host');
    const cr = cluster.objects.get<Obj>({ apiVersion: CM, kind: 'CertificateRequest', name: 'bad-1', namespace: 'default' });
    expect(cond(cr, 'Ready')).toMatchObject({ status: 'False', reason: 'Failed' });
  });

  it('chains selfSigned → CA Certificate → ca Issuer → leaf', async () => {
    cluster.objects.create({ apiVersion: CM, kind: 'Issuer', metadata: { name: 'bootstrap', namespace: 'default' }, spec: { selfSigned: {} } });
    cluster.objects.create({ apiVersion: CM, kind: 'Certificate', metadata: { name: 'root', namespace: 'default' }, spec: { isCA: true, commonName: 'Tenant Root', secretName: 'root-ca', issuerRef: { name: 'bootstrap' } } });
    cluster.objects.create({ apiVersion: CM, kind: 'Issuer', metadata: { name: 'tenant-ca', namespace: 'default' }, spec: { ca: { secretName: 'root-ca' } } });
    cluster.objects.create({ apiVersion: CM, kind: 'Certificate', metadata: { name: 'internal', namespace: 'default' }, spec: { secretName: 'internal-tls', dnsNames: ['internal.svc'], issuerRef: { name: 'tenant-ca' } } });
    await waitFor(() => cond(cluster.objects.get<Obj>({ apiVersion: CM, kind: 'Certificate', name: 'internal', namespace: 'default' }), 'Ready')?.status === 'True', { what: 'leaf issued by the CA issuer' });
    expect(cond(cluster.objects.get<Obj>({ apiVersion: CM, kind: 'Issuer', name: 'tenant-ca', namespace: 'default' }), 'Ready')).toMatchObject({ status: 'True', reason: 'KeyPairVerified', message: 'Signing CA verified' });
    const s = cluster.objects.get<Obj>({ apiVersion: 'v1', kind: 'Secret', name: 'internal-tls', namespace: 'default' }) as Obj & { data: Record<string, string> };
    const leaf = new X509Certificate(Buffer.from(s.data['tls.crt'] ?? '', 'base64').toString());
    const ca = new X509Certificate(Buffer.from(s.data['ca.crt'] ?? '', 'base64').toString());
    expect(ca.subject).toContain('Tenant Root');
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
  });

  it('runs Velero schedules, backups and restores', async () => {
    cluster.objects.create({ apiVersion: 'velero.io/v1', kind: 'Schedule', metadata: { name: 'daily', namespace: 'velero' }, spec: { schedule: '@every 24h', template: { includedNamespaces: ['default'] } } });
    cluster.objects.create({ apiVersion: 'velero.io/v1', kind: 'Schedule', metadata: { name: 'broken', namespace: 'velero' }, spec: { schedule: 'every tuesday' } });
    await waitFor(() => (cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'daily', namespace: 'velero' }))?.status?.phase === 'Enabled', { what: 'schedule enabled' });
    await waitFor(() => (cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'broken', namespace: 'velero' }))?.status?.phase === 'FailedValidation', { what: 'invalid schedule' });
    const name = cluster.runVeleroSchedule('velero', 'daily');
    expect(name).toMatch(/^daily-\d{14}$/);
    const backup = await waitFor(() => {
      const b = cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'Backup', name, namespace: 'velero' });
      return b?.status?.phase === 'Completed' ? b : undefined;
    }, { what: 'backup completed' });
    expect(backup.metadata.labels).toMatchObject({ 'velero.io/schedule-name': 'daily' });
    expect(backup.status).toMatchObject({ version: 1, formatVersion: '1.1.0', completionTimestamp: expect.any(String) as unknown });
    expect((cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'daily', namespace: 'velero' }) as Obj).status?.lastBackup).toEqual(expect.any(String));
    cluster.objects.create({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r1', namespace: 'velero' }, spec: { backupName: name } });
    cluster.objects.create({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r2', namespace: 'velero' }, spec: { backupName: 'nope' } });
    await waitFor(() => (cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'Restore', name: 'r1', namespace: 'velero' }))?.status?.phase === 'Completed', { what: 'restore completed' });
    await waitFor(() => (cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'Restore', name: 'r2', namespace: 'velero' }))?.status?.phase === 'FailedValidation', { what: 'restore failed validation' });
    expect((cluster.objects.get<Obj>({ apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', name: 'default', namespace: 'velero' }) as Obj).status?.phase).toBe('Available');
  });
});
