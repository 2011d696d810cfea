// Acceptance (kube-sim-spec §16.3, §16.4): server-side apply ownership and conflicts, create and
// replace conflicts, and the imperative commands that patch (label, annotate, scale, restart).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlMissing, startKubectlCluster, waitFor, writeManifest, type KubectlCluster } from './helpers/kubectl.ts';

describe.skipIf(kubectlMissing)('kubectl apply, conflicts and imperative patches', () => {
  let env: KubectlCluster;

  beforeAll(async () => {
    env = await startKubectlCluster({ name: 'apply' });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('server-side apply creates, reports conflicts with another manager, and forces them', async () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  labels: {app: ssa, team: blue}
spec:
  replicas: 2
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
      - name: app
        image: registry.example/app:1
        ports: [{containerPort: 8080}]
`;
    const file = await writeManifest(env.dir, 'ssa.yaml', manifest);
    expect(await env.kubectl.ok(['apply', '--server-side', '-f', file])).toContain('deployment.apps/ssa serverside-applied');
    const other = await writeManifest(env.dir, 'other.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa}
spec:
  replicas: 5
`);
    const stderr = await env.kubectl.fails(['apply', '--server-side', '--field-manager=other', '-f', other]);
    expect(stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(await env.kubectl.ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', other])).toContain('serverside-applied');
    const dep = JSON.parse(await env.kubectl.ok(['get', 'deploy', 'ssa', '-o', 'json', '--show-managed-fields'])) as {
      spec: { replicas: number };
      metadata: { managedFields: { manager: string; operation: string; fieldsV1: Record<string, unknown> }[] };
    };
    expect(dep.spec.replicas).toBe(5);
    const managers = Object.fromEntries(dep.metadata.managedFields.map((m) => [`${m.manager}/${m.operation}`, m.fieldsV1]));
    expect(managers['other/Apply']).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(JSON.stringify(managers['kubectl/Apply'])).not.toContain('f:replicas');
    expect(managers['kubectl/Apply']).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app': {}, 'f:team': {} } },
      'f:spec': { 'f:selector': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } } } } },
    });
    // Re-applying the original now conflicts the other way round.
    const back = await env.kubectl.fails(['apply', '--server-side', '-f', file]);
    expect(back).toContain('conflict with "other": .spec.replicas');
  });

  it('removes fields dropped from a re-applied manifest', async () => {
    const v1 = `apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  labels: {keep: "yes", drop: "yes"}
data: {a: "1", b: "2"}
`;
    const file = await writeManifest(env.dir, 'owned.yaml', v1);
    await env.kubectl.ok(['apply', '--server-side', '-f', file]);
    await env.kubectl.ok(['label', 'cm', 'owned', 'other=set-by-label']);
    await writeManifest(env.dir, 'owned.yaml', `apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  labels: {keep: "yes"}
data: {a: "1"}
`);
    await env.kubectl.ok(['apply', '--server-side', '-f', file]);
    const cm = JSON.parse(await env.kubectl.ok(['get', 'cm', 'owned', '-o', 'json'])) as { data: Record<string, string>; metadata: { labels: Record<string, string> } };
    expect(cm.data).toEqual({ a: '1' });
    // Fields owned by another manager (kubectl-label) survive.
    expect(cm.metadata.labels).toEqual({ keep: 'yes', other: 'set-by-label' });
  });

  it('refuses a duplicate create and a stale replace', async () => {
    const file = await writeManifest(env.dir, 'cfg.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}\n');
    expect(await env.kubectl.ok(['create', '-f', file])).toContain('configmap/cfg created');
    const dup = await env.kubectl.fails(['create', '-f', file]);
    expect(dup).toContain(`Error from server (AlreadyExists): error when creating "${file}": configmaps "cfg" already exists`);
    const current = JSON.parse(await env.kubectl.ok(['get', 'cm', 'cfg', '-o', 'json'])) as { metadata: { resourceVersion: string } };
    await env.kubectl.ok(['annotate', 'cm', 'cfg', 'touched=yes']);
    const stale = await writeManifest(env.dir, 'stale.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', resourceVersion: current.metadata.resourceVersion }, data: { k: 'stale' } }));
    const conflict = await env.kubectl.fails(['replace', '-f', stale]);
    expect(conflict).toContain('Error from server (Conflict): error when replacing');
    expect(conflict).toContain('Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('labels, annotates, scales and restarts a deployment', async () => {
    await env.kubectl.ok(['create', 'deployment', 'imp', '--image=nginx:1.27']);
    expect(await env.kubectl.ok(['label', 'deploy', 'imp', 'tier=front'])).toContain('deployment.apps/imp labeled');
    expect(await env.kubectl.ok(['annotate', 'deploy', 'imp', 'owner=team-a'])).toContain('deployment.apps/imp annotated');
    expect(await env.kubectl.ok(['scale', 'deploy', 'imp', '--replicas=3'])).toContain('deployment.apps/imp scaled');
    expect((await env.kubectl.run(['rollout', 'status', 'deploy/imp', '--timeout=30s'])).code).toBe(0);
    const before = (await env.kubectl.ok(['get', 'rs', '-l', 'app=imp', '-o', 'name'])).trim().split('\n');
    expect(before).toHaveLength(1);
    expect(await env.kubectl.ok(['rollout', 'restart', 'deploy/imp'])).toContain('deployment.apps/imp restarted');
    const status = await env.kubectl.run(['rollout', 'status', 'deploy/imp', '--timeout=30s']);
    expect(status.code, status.stderr).toBe(0);
    const dep = JSON.parse(await env.kubectl.ok(['get', 'deploy', 'imp', '-o', 'json'])) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } };
      status: { updatedReplicas: number; availableReplicas: number };
    };
    expect(dep.metadata.labels.tier).toBe('front');
    expect(dep.metadata.annotations.owner).toBe('team-a');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-/);
    expect(dep.status).toMatchObject({ updatedReplicas: 3, availableReplicas: 3 });
    const after = (await env.kubectl.ok(['get', 'rs', '-l', 'app=imp', '-o', 'name'])).trim().split('\n');
    expect(after).toHaveLength(2);
    // Old pods go away once the new ReplicaSet is available.
    await waitFor(async () => (await env.kubectl.ok(['get', 'pods', '-l', 'app=imp', '-o', 'name'])).trim().split('\n').length === 3, { what: 'old pods to terminate' });
    const history = await env.kubectl.ok(['rollout', 'history', 'deploy/imp']);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    expect(await env.kubectl.ok(['rollout', 'undo', 'deploy/imp'])).toContain('rolled back');
    expect((await env.kubectl.run(['rollout', 'status', 'deploy/imp', '--timeout=30s'])).code).toBe(0);
    const undone = JSON.parse(await env.kubectl.ok(['get', 'deploy', 'imp', '-o', 'json'])) as { metadata: { annotations: Record<string, string> } };
    expect(undone.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('patches with the JSON, merge and strategic merge types', async () => {
    await env.kubectl.ok(['create', 'configmap', 'p', '--from-literal=a=1']);
    await env.kubectl.ok(['patch', 'cm', 'p', '--type=json', '-p', '[{"op":"add","path":"/data/b","value":"2"}]']);
    await env.kubectl.ok(['patch', 'cm', 'p', '--type=merge', '-p', '{"data":{"a":null}}']);
    await env.kubectl.ok(['patch', 'cm', 'p', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
    const cm = JSON.parse(await env.kubectl.ok(['get', 'cm', 'p', '-o', 'json'])) as { data: Record<string, string>; metadata: { labels: Record<string, string> } };
    expect(cm.data).toEqual({ b: '2' });
    expect(cm.metadata.labels).toEqual({ x: 'y' });
    const bad = await env.kubectl.fails(['patch', 'cm', 'p', '--type=json', '-p', '[{"op":"replace","path":"/data/missing","value":"x"}]']);
    expect(bad).toContain('replace operation does not apply: doc is missing key: /data/missing');
  });

  it('warns when a workload template would violate the namespace Pod Security level', async () => {
    await env.kubectl.ok(['create', 'namespace', 'restricted']);
    await env.kubectl.ok(['label', 'namespace', 'restricted', 'pod-security.kubernetes.io/enforce=restricted']);
    const r = await env.kubectl.run(['-n', 'restricted', 'create', 'deployment', 'loose', '--image=nginx']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false)');
    const run = await env.kubectl.run(['-n', 'restricted', 'run', 'bare', '--image=nginx']);
    expect(run.stderr).toContain('Error from server (Forbidden): pods "bare" is forbidden: violates PodSecurity "restricted:latest"');
  });

  it('runs server-side dry runs through the whole pipeline without persisting', async () => {
    expect(await env.kubectl.ok(['create', 'configmap', 'dry', '--from-literal=a=1', '--dry-run=server', '-o', 'jsonpath={.metadata.uid}'])).toMatch(/^[0-9a-f-]{36}$/);
    expect((await env.kubectl.run(['get', 'cm', 'dry'])).stderr).toContain('configmaps "dry" not found');
  });

  it('rejects invalid objects with 422 and the apiserver message', async () => {
    const file = await writeManifest(env.dir, 'bad.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: two}}
    spec: {containers: [{name: c, image: nginx}]}
`);
    const err = await env.kubectl.fails(['apply', '-f', file]);
    expect(err).toContain('The Deployment "bad" is invalid: spec.template.metadata.labels: Invalid value: {"app":"two"}: `selector` does not match template `labels`');
  });
});
