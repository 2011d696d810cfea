// Acceptance (kube-sim-spec §16.6, §16.7): the CRD flow, and the upstream Gateway API,
// cert-manager and Velero CRDs applied server-side, then Gateway/HTTPRoute/Certificate waits.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Gateway, HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { Certificate, ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CONTROLLER } from '../src/index.ts';
import { kubectlMissing, startKubectlCluster, waitFor, writeManifest, type KubectlCluster } from './helpers/kubectl.ts';
import { validate } from './helpers/models.ts';

const CRDS_DIR = fileURLToPath(new URL('../../../../shared/data/crds/', import.meta.url));
const crdsMissing = !existsSync(CRDS_DIR);
if (crdsMissing) console.warn(`upstream CRD manifests not found at ${CRDS_DIR}: skipping the upstream CRD tests`);

const widgetCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: string, default: medium}
              replicas: {type: integer}
              tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
          status:
            type: object
            properties:
              replicas: {type: integer}
`;

describe.skipIf(kubectlMissing)('custom resources with kubectl', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    env = await startKubectlCluster({ name: 'crd' });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('establishes a CRD, serves its custom resources, and removes them with it', async () => {
    const crd = await writeManifest(env.dir, 'crd.yaml', widgetCrd);
    expect(await env.kubectl.ok(['apply', '-f', crd])).toContain('customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
    const waited = await env.kubectl.run(['wait', '--for', 'condition=established', 'crd/widgets.example.com', '--timeout=20s']);
    expect(waited.code, waited.stderr).toBe(0);
    const cr = await writeManifest(env.dir, 'w1.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {replicas: 1, tags: [a]}\n');
    expect(await env.kubectl.ok(['apply', '-f', cr])).toContain('widget.example.com/w1 created');
    const table = await env.kubectl.ok(['get', 'wd']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+REPLICAS\s+AGE$/);
    expect(table).toMatch(/^w1\s+medium\s+1\s+\S+$/m);

    // Client-side apply of a changed CR is a JSON merge patch.
    await writeManifest(env.dir, 'w1.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {replicas: 2, size: large, tags: [a, b]}\n');
    expect(await env.kubectl.ok(['apply', '-f', cr])).toContain('widget.example.com/w1 configured');
    const patchRecord = env.cluster.requests().filter((r) => r.method === 'PATCH' && r.path.endsWith('/widgets/w1')).pop();
    expect(patchRecord?.contentType).toContain('application/merge-patch+json');
    // Server-side apply of a custom resource.
    const ssa = await writeManifest(env.dir, 'w2.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {replicas: 1}\n');
    expect(await env.kubectl.ok(['apply', '--server-side', '-f', ssa])).toContain('widget.example.com/w2 serverside-applied');
    const w2 = JSON.parse(await env.kubectl.ok(['get', 'widget', 'w2', '-o', 'json'])) as { metadata: { generation: number }; spec: { size: string } };
    expect(w2.metadata.generation).toBe(1);
    expect(w2.spec.size).toBe('medium');
    // Strategic merge patch is refused for custom resources (415), as a real apiserver does.
    const smp = await env.kubectl.fails(['patch', 'wd', 'w1', '-p', '{"spec":{"size":"small"}}']);
    expect(smp).toContain('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    expect(await env.kubectl.ok(['patch', 'wd', 'w1', '--type=merge', '-p', '{"spec":{"size":"small"}}'])).toContain('patched');
    expect(await env.kubectl.ok(['scale', 'wd', 'w1', '--replicas=4'])).toContain('scaled');
    const w1 = JSON.parse(await env.kubectl.ok(['get', 'wd', 'w1', '-o', 'json'])) as { metadata: { generation: number }; spec: { replicas: number; size: string } };
    expect(w1.spec).toMatchObject({ replicas: 4, size: 'small' });
    expect(w1.metadata.generation).toBe(4);

    expect(await env.kubectl.ok(['delete', 'crd', 'widgets.example.com'])).toContain('deleted');
    const gone = await env.kubectl.run(['get', 'widgets.example.com']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(`the server doesn't have a resource type "widgets"`);
  });
});

describe.skipIf(kubectlMissing || crdsMissing)('upstream CRDs applied server-side', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    // A cluster without the pre-installed add-ons: the upstream manifests install them.
    env = await startKubectlCluster({ name: 'upstream', addons: { gatewayApi: false, certManager: false, velero: false } });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('establishes Gateway API v1.6.1, cert-manager v1.21.1 and Velero v1.18.1', async () => {
    for (const dir of ['gateway-api-v1.6.1', 'cert-manager-v1.21.1', 'velero-v1.18.1']) {
      const files = (await readdir(`${CRDS_DIR}${dir}`)).filter((f) => f.endsWith('.yaml'));
      expect(files.length).toBeGreaterThan(0);
      const r = await env.kubectl.run(['apply', '--server-side', '-f', `${CRDS_DIR}${dir}`], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const waited = await env.kubectl.run(['wait', '--for', 'condition=established', 'crd', '--all', '--timeout=30s']);
    expect(waited.code, waited.stderr).toBe(0);
    const names = (await env.kubectl.ok(['get', 'crd', '-o', 'name'])).trim().split('\n');
    for (const n of ['gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io', 'listenersets.gateway.networking.k8s.io', 'certificates.cert-manager.io', 'clusterissuers.cert-manager.io', 'backups.velero.io', 'schedules.velero.io']) {
      expect(names).toContain(`customresourcedefinition.apiextensions.k8s.io/${n}`);
    }
    expect(await env.kubectl.ok(['get', 'validatingadmissionpolicy', '-o', 'name'])).toContain('safe-upgrades.gateway.networking.k8s.io');
  });

  it('programs a Gateway, accepts an HTTPRoute and issues a Certificate (kubectl wait)', async () => {
    const manifest = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: edge}
spec: {controllerName: ${DEFAULT_GATEWAY_CONTROLLER}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: edge
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.apps.example.test"
    tls: {mode: Terminate, certificateRefs: [{name: web-tls}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [web.apps.example.test]
  rules:
  - backendRefs: [{name: web, port: 80}]
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web-tls}
spec:
  secretName: web-tls
  dnsNames: [web.apps.example.test]
  issuerRef: {name: selfsigned, kind: ClusterIssuer}
`;
    const file = await writeManifest(env.dir, 'edge.yaml', manifest);
    const applied = await env.kubectl.run(['apply', '--server-side', '-f', file]);
    expect(applied.code, applied.stderr).toBe(0);
    const gw = await env.kubectl.run(['wait', '--for=condition=Programmed', 'gateway/gw', '--timeout=30s']);
    expect(gw.code, gw.stderr).toBe(0);
    const cert = await env.kubectl.run(['wait', '--for=condition=Ready', 'certificate/web-tls', '--timeout=30s']);
    expect(cert.code, cert.stderr).toBe(0);
    const route = await env.kubectl.run(['wait', '--for=jsonpath={.status.parents[0].conditions[?(@.type=="Accepted")].status}=True', 'httproute/web', '--timeout=30s']);
    expect(route.code, route.stderr).toBe(0);
    // The HTTPS listener becomes programmed once the certificate's Secret exists.
    const gateway = await waitFor(async () => {
      const g = JSON.parse(await env.kubectl.ok(['get', 'gateway', 'gw', '-o', 'json'])) as { status: { listeners: { name: string; attachedRoutes: number; conditions: { type: string; status: string }[] }[] } };
      const https = g.status.listeners.find((l) => l.name === 'https');
      return https?.conditions.find((c) => c.type === 'Programmed')?.status === 'True' ? g : undefined;
    }, { what: 'the HTTPS listener to be programmed' });
    expect(gateway.status.listeners.map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['http', 1],
      ['https', 1],
    ]);
    // The statuses validate against the upstream schemas.
    validate(Gateway, gateway);
    new HTTPRoute(JSON.parse(await env.kubectl.ok(['get', 'httproute', 'web', '-o', 'json'])) as never).validate();
    new Certificate(JSON.parse(await env.kubectl.ok(['get', 'certificate', 'web-tls', '-o', 'json'])) as never).validate();
    new ClusterIssuer(JSON.parse(await env.kubectl.ok(['get', 'clusterissuer', 'selfsigned', '-o', 'json'])) as never).validate();
    const table = await env.kubectl.ok(['get', 'gateway,httproute,certificate']);
    expect(table).toMatch(/gateway\.gateway\.networking\.k8s\.io\/gw\s+edge\s+127\.0\.0\.1\s+True\s/);
    expect(table).toMatch(/httproute\.gateway\.networking\.k8s\.io\/web\s+\["web\.apps\.example\.test"\]/);
    expect(table).toMatch(/certificate\.cert-manager\.io\/web-tls\s+True\s+web-tls\s/);
  });

  it('runs Velero backups from a schedule on the upstream CRDs', async () => {
    await env.kubectl.ok(['create', 'namespace', 'velero']);
    const file = await writeManifest(env.dir, 'schedule.yaml', `apiVersion: velero.io/v1
kind: Schedule
metadata: {name: nightly, namespace: velero}
spec:
  schedule: "0 3 * * *"
  template: {includedNamespaces: [default], ttl: 72h0m0s}
`);
    await env.kubectl.ok(['apply', '--server-side', '-f', file]);
    await waitFor(async () => (await env.kubectl.ok(['-n', 'velero', 'get', 'schedule', 'nightly', '-o', 'jsonpath={.status.phase}'])) === 'Enabled', { what: 'schedule Enabled' });
    await env.kubectl.ok(['-n', 'velero', 'annotate', 'schedule', 'nightly', 'velero.sim.satusky.dev/run-now=1']);
    const backup = await waitFor(async () => {
      const list = JSON.parse(await env.kubectl.ok(['-n', 'velero', 'get', 'backups', '-l', 'velero.io/schedule-name=nightly', '-o', 'json'])) as { items: { metadata: { name: string }; status?: { phase?: string; progress?: { totalItems: number; itemsBackedUp: number } } }[] };
      return list.items.find((b) => b.status?.phase === 'Completed');
    }, { what: 'a completed backup' });
    expect(backup.status?.progress?.itemsBackedUp).toBeGreaterThan(0);
    expect(backup.status?.progress?.itemsBackedUp).toBe(backup.status?.progress?.totalItems);
  });
});

describe.skipIf(kubectlMissing || crdsMissing)('upstream CRDs over the pre-installed add-ons', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    env = await startKubectlCluster({ name: 'preinstalled' });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('conflicts without --force-conflicts and upgrades with it, staying Established', async () => {
    const file = `${CRDS_DIR}gateway-api-v1.6.1/gateway.networking.k8s.io_gateways.yaml`;
    const refused = await env.kubectl.run(['apply', '--server-side', '-f', file]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Apply failed with');
    expect(refused.stderr).toContain('conflict');
    const forced = await env.kubectl.run(['apply', '--server-side', '--force-conflicts', '-f', file]);
    expect(forced.code, forced.stderr).toBe(0);
    const waited = await env.kubectl.run(['wait', '--for', 'condition=established', 'crd/gateways.gateway.networking.k8s.io', '--timeout=20s']);
    expect(waited.code, waited.stderr).toBe(0);
  });
});
