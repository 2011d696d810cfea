// Acceptance (kube-sim-spec §16.1, §16.2, §16.8): the real kubectl against the simulator.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlMissing, startKubectlCluster, waitFor, writeManifest, type KubectlCluster } from './helpers/kubectl.ts';

const deployment = (image: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports:
        - containerPort: 80
`;

describe.skipIf(kubectlMissing)('kubectl basics', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    env = await startKubectlCluster({ name: 'basics' });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('reports server version 1.32 so the dispatcher runs kubectl 1.32', async () => {
    const out = JSON.parse(await env.kubectl.ok(['version', '-o', 'json'])) as { serverVersion: { major: string; minor: string; gitVersion: string } };
    expect(out.serverVersion).toMatchObject({ major: '1', minor: '32' });
    expect(out.serverVersion.gitVersion).toMatch(/^v1\.32\./);
  });

  it('lists every served resource with its short names in api-resources, through aggregated discovery', async () => {
    env.cluster.clearRequests();
    const out = await env.kubectl.ok(['api-resources']);
    // Aggregated discovery v2: /api and /apis answer everything, no per-group-version requests.
    const discovery = env.cluster.requests().filter((r) => r.path.startsWith('/api'));
    expect(discovery.map((r) => r.path).sort()).toEqual(['/api', '/apis']);
    const expectations: [string, string][] = [
      ['namespaces', 'ns'],
      ['pods', 'po'],
      ['services', 'svc'],
      ['configmaps', 'cm'],
      ['persistentvolumeclaims', 'pvc'],
      ['persistentvolumes', 'pv'],
      ['events', 'ev'],
      ['nodes', 'no'],
      ['serviceaccounts', 'sa'],
      ['endpoints', 'ep'],
      ['deployments', 'deploy'],
      ['replicasets', 'rs'],
      ['ingresses', 'ing'],
      ['storageclasses', 'sc'],
      ['customresourcedefinitions', 'crd,crds'],
      ['horizontalpodautoscalers', 'hpa'],
      ['poddisruptionbudgets', 'pdb'],
      ['networkpolicies', 'netpol'],
      ['resourcequotas', 'quota'],
      ['limitranges', 'limits'],
      ['gateways', 'gtw'],
      ['gatewayclasses', 'gc'],
      ['referencegrants', 'refgrant'],
      ['listenersets', 'lset'],
      ['certificates', 'cert,certs'],
      ['certificaterequests', 'cr,crs'],
    ];
    for (const [name, short] of expectations) {
      expect(out, name).toMatch(new RegExp(`^${name}\\s+${short.replace(',', ',')}\\s`, 'm'));
    }
    for (const name of ['secrets', 'endpointslices', 'leases', 'httproutes', 'issuers', 'clusterissuers', 'backups', 'restores', 'schedules', 'validatingadmissionpolicies']) {
      expect(out, name).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
    expect(out).toMatch(/^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics/m);
  });

  it('prints server-side columns for nodes and namespaces', async () => {
    const nodes = await env.kubectl.ok(['get', 'nodes']);
    expect(nodes.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(nodes).toMatch(/basics-node-0\s+Ready\s+worker\s+\S+\s+v1\.32\.4/);
    const wide = await env.kubectl.ok(['get', 'nodes', '-o', 'wide', '-L', 'topology.kubernetes.io/zone']);
    expect(wide.split('\n')[0]).toMatch(/INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\s+ZONE/);
    const ns = await env.kubectl.ok(['get', 'ns', 'default']);
    expect(ns).toMatch(/^default\s+Active\s+/m);
  });

  it('applies, re-applies unchanged, rolls out a change, and rollout status and wait succeed fast', async () => {
    const file = await writeManifest(env.dir, 'deploy.yaml', deployment('nginx:1.27', 2));
    expect(await env.kubectl.ok(['apply', '-f', file])).toContain('deployment.apps/web created');
    const first = await env.kubectl.run(['rollout', 'status', 'deploy/web', '--timeout=30s']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('deployment "web" successfully rolled out');
    expect(await env.kubectl.ok(['apply', '-f', file])).toContain('deployment.apps/web unchanged');

    await writeManifest(env.dir, 'deploy.yaml', deployment('nginx:1.28', 3));
    expect(await env.kubectl.ok(['apply', '-f', file])).toContain('deployment.apps/web configured');
    const rollout = await env.kubectl.run(['rollout', 'status', 'deploy/web', '--timeout=30s']);
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
    const wait = await env.kubectl.run(['wait', '--for=condition=Available', 'deploy/web', '--timeout=30s']);
    expect(wait.code, wait.stderr).toBe(0);
    expect(wait.stdout).toContain('deployment.apps/web condition met');
    // With zero delays both return in about the time kubectl itself needs.
    expect(rollout.ms).toBeLessThan(3000);
    expect(wait.ms).toBeLessThan(3000);

    const dep = JSON.parse(await env.kubectl.ok(['get', 'deploy', 'web', '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } }; status: Record<string, unknown>; metadata: { annotations: Record<string, string> } };
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0]?.image).toBe('nginx:1.28');
    expect(dep.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(dep.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    const rs = await env.kubectl.ok(['get', 'rs', '-l', 'app=web']);
    expect(rs.trim().split('\n')).toHaveLength(3);
    expect(rs).toMatch(/web-\w+\s+3\s+3\s+3\s/);
    expect(rs).toMatch(/web-\w+\s+0\s+0\s+0\s/);
  });

  it('shows pods across namespaces with -o wide and describes the deployment with its events', async () => {
    const pods = await env.kubectl.ok(['get', 'pods', '-A', '-o', 'wide']);
    expect(pods.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    expect(pods).toMatch(/default\s+web-\w+-\w+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+basics-node-\d/);
    const described = await env.kubectl.ok(['describe', 'deploy', 'web']);
    expect(described).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(described).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(described).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(described).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ to 3 from \d+/);
    expect(described).toContain('Port:          80/TCP');
  });

  it('serves container logs through pods/log', async () => {
    const name = (await env.kubectl.ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(name).toMatch(/^web-/);
    const logs = await env.kubectl.ok(['logs', name]);
    expect(logs).toContain('listening on :80');
    env.cluster.appendPodLog('default', name, 'GET / 200 (edge)');
    const tail = await env.kubectl.ok(['logs', name, '--tail=1', '--timestamps']);
    expect(tail).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z GET \/ 200 \(edge\)\n$/);
  });

  it('creates configmaps, secrets, namespaces and deployments from kubectl 1.32 protobuf bodies', async () => {
    expect(await env.kubectl.ok(['create', 'namespace', 'proto'])).toContain('namespace/proto created');
    expect(await env.kubectl.ok(['-n', 'proto', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two'])).toContain('configmap/cfg created');
    expect(await env.kubectl.ok(['-n', 'proto', 'create', 'secret', 'generic', 's1', '--from-literal=password=hunter2'])).toContain('secret/s1 created');
    expect(await env.kubectl.ok(['-n', 'proto', 'create', 'deployment', 'api', '--image=ghcr.io/acme/api:1.0', '--replicas=2', '--port=8080'])).toContain('deployment.apps/api created');
    expect(await env.kubectl.ok(['-n', 'proto', 'create', 'serviceaccount', 'bot'])).toContain('serviceaccount/bot created');
    expect(await env.kubectl.ok(['-n', 'proto', 'create', 'service', 'clusterip', 'api', '--tcp=80:8080'])).toContain('service/api created');
    const svc = JSON.parse(await env.kubectl.ok(['-n', 'proto', 'get', 'svc', 'api', '-o', 'json'])) as { spec: { ports: unknown[]; selector: Record<string, string> } };
    expect(svc.spec.ports).toEqual([{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
    expect(svc.spec.selector).toEqual({ app: 'api' });
    const cm = JSON.parse(await env.kubectl.ok(['-n', 'proto', 'get', 'cm', 'cfg', '-o', 'json'])) as { data: Record<string, string> };
    expect(cm.data).toEqual({ a: '1', b: 'two' });
    const secret = JSON.parse(await env.kubectl.ok(['-n', 'proto', 'get', 'secret', 's1', '-o', 'json'])) as { data: Record<string, string>; type: string };
    expect(Buffer.from(secret.data.password ?? '', 'base64').toString()).toBe('hunter2');
    expect(secret.type).toBe('Opaque');
    const rollout = await env.kubectl.run(['-n', 'proto', 'rollout', 'status', 'deploy/api', '--timeout=30s']);
    expect(rollout.code, rollout.stderr).toBe(0);
    const dep = JSON.parse(await env.kubectl.ok(['-n', 'proto', 'get', 'deploy', 'api', '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } } };
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.template.spec.containers[0]).toMatchObject({ image: 'ghcr.io/acme/api:1.0', ports: [{ containerPort: 8080, protocol: 'TCP' }] });
  });

  it('reports metrics through the metrics API (kubectl top)', async () => {
    const top = await waitFor(async () => {
      const r = await env.kubectl.run(['top', 'pods', '-l', 'app=web']);
      return r.code === 0 && /web-\S+\s+\d+m\s+\d+Mi/.test(r.stdout) ? r.stdout : undefined;
    }, { what: 'kubectl top pods' });
    expect(top.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const nodes = await env.kubectl.ok(['top', 'nodes']);
    expect(nodes).toMatch(/basics-node-0\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
  });

  it('answers kubectl auth can-i', async () => {
    expect((await env.kubectl.ok(['auth', 'can-i', 'create', 'deployments'])).trim()).toBe('yes');
  });
});
