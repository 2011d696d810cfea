// Server-side Table output (kube-sim-spec §9): the columns `kubectl get` prints, following the
// upstream printers for built-ins and additionalPrinterColumns for CRDs.

import type { KubeObject } from '../store/store.ts';
import { evalJsonPath } from '../util/jsonpath.ts';
import { arr, isObject, num, obj, str, text, type JsonObject } from '../util/json.ts';
import { humanDuration } from '../util/time.ts';
import type { PrinterColumn, ResourceType } from './registry.ts';

type Cell = string | number | boolean | null;

interface Printer {
  columns: PrinterColumn[];
  cells(o: KubeObject, now: number): Cell[];
}

const col = (name: string, type = 'string', priority = 0, format?: string): PrinterColumn => ({
  name,
  type,
  ...(format ? { format } : {}),
  description: describe(name),
  priority,
});

function describe(name: string): string {
  if (name === 'Name') return 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
  if (name === 'Age') return 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
  return name;
}

const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

function age(o: KubeObject, now: number): string {
  const ts = str(o.metadata.creationTimestamp);
  return ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

function since(ts: unknown, now: number): string {
  return typeof ts === 'string' ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

function selectorString(sel: unknown): string {
  const s = obj(sel);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(obj(s.matchLabels))) parts.push(`${k}=${String(v)}`);
  for (const e of arr(s.matchExpressions)) {
    const x = obj(e);
    const key = String(x.key);
    const values = arr(x.values).map(String).join(',');
    switch (x.operator) {
      case 'In':
        parts.push(`${key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(key);
        break;
      case 'DoesNotExist':
        parts.push(`!${key}`);
        break;
      default:
        break;
    }
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

function mapSelectorString(sel: unknown): string {
  const entries = Object.entries(obj(sel));
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
}

function podContainers(o: KubeObject, key: 'containers'): JsonObject[] {
  return arr(obj(obj(obj(o.spec).template).spec)[key]).filter(isObject);
}

export function podStatusReason(o: KubeObject): string {
  const status = obj(o.status);
  let reason = str(status.reason) ?? str(status.phase) ?? 'Unknown';
  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses).filter(isObject);
  initStatuses.forEach((c, i) => {
    if (initializing) return;
    const st = obj(c.state);
    const term = obj(st.terminated);
    if (isObject(st.terminated) && term.exitCode === 0) return;
    if (isObject(st.running) && c.started === true) return;
    initializing = true;
    if (isObject(st.terminated)) reason = str(term.reason) ? `Init:${String(term.reason)}` : `Init:ExitCode:${String(term.exitCode)}`;
    else if (isObject(st.waiting) && str(obj(st.waiting).reason) && obj(st.waiting).reason !== 'PodInitializing') reason = `Init:${String(obj(st.waiting).reason)}`;
    else reason = `Init:${i}/${arr(obj(o.spec).initContainers).length}`;
  });
  if (!initializing) {
    let hasRunning = false;
    const cs = arr(status.containerStatuses).filter(isObject);
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i] as JsonObject;
      const st = obj(c.state);
      if (isObject(st.waiting) && str(obj(st.waiting).reason)) reason = String(obj(st.waiting).reason);
      else if (isObject(st.terminated) && str(obj(st.terminated).reason)) reason = String(obj(st.terminated).reason);
      else if (isObject(st.terminated)) reason = `ExitCode:${String(obj(st.terminated).exitCode)}`;
      else if (c.ready === true && isObject(st.running)) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = arr(status.conditions).some((c) => obj(c).type === 'Ready' && obj(c).status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (o.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

const printers: Record<string, Printer> = {
  '/pods': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    cells(o, now) {
      const status = obj(o.status);
      const cs = arr(status.containerStatuses).filter(isObject);
      const total = arr(obj(o.spec).containers).length;
      const ready = cs.filter((c) => c.ready === true).length;
      let restarts = 0;
      let lastRestart: string | undefined;
      for (const c of cs) {
        restarts += num(c.restartCount) ?? 0;
        const fin = str(obj(obj(c.lastState).terminated).finishedAt);
        if (fin && (!lastRestart || fin > lastRestart)) lastRestart = fin;
      }
      const restartsCell = restarts > 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
      const gates = arr(obj(o.spec).readinessGates);
      return [
        o.metadata.name,
        `${ready}/${total}`,
        podStatusReason(o),
        restartsCell,
        age(o, now),
        str(status.podIP) ?? '<none>',
        str(obj(o.spec).nodeName) ?? '<none>',
        str(status.nominatedNodeName) ?? '<none>',
        gates.length > 0 ? `0/${gates.length}` : '<none>',
      ];
    },
  },
  'apps/deployments': {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells(o, now) {
      const s = obj(o.status);
      const cs = podContainers(o, 'containers');
      return [
        o.metadata.name,
        `${num(s.readyReplicas) ?? 0}/${num(obj(o.spec).replicas) ?? 0}`,
        num(s.updatedReplicas) ?? 0,
        num(s.availableReplicas) ?? 0,
        age(o, now),
        cs.map((c) => String(c.name)).join(','),
        cs.map((c) => String(c.image)).join(','),
        selectorString(obj(o.spec).selector),
      ];
    },
  },
  'apps/replicasets': {
    columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells(o, now) {
      const s = obj(o.status);
      const cs = podContainers(o, 'containers');
      return [
        o.metadata.name,
        num(obj(o.spec).replicas) ?? 0,
        num(s.replicas) ?? 0,
        num(s.readyReplicas) ?? 0,
        age(o, now),
        cs.map((c) => String(c.name)).join(','),
        cs.map((c) => String(c.image)).join(','),
        selectorString(obj(o.spec).selector),
      ];
    },
  },
  '/services': {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    cells(o, now) {
      const spec = obj(o.spec);
      const type = str(spec.type) ?? 'ClusterIP';
      const lb = arr(obj(obj(o.status).loadBalancer).ingress).map((i) => str(obj(i).ip) ?? str(obj(i).hostname) ?? '').filter((x) => x);
      const external = [...arr(spec.externalIPs).map(String), ...lb];
      let ext = external.length > 0 ? external.join(',') : '<none>';
      if (type === 'LoadBalancer' && external.length === 0) ext = '<pending>';
      if (type === 'ExternalName') ext = str(spec.externalName) ?? '<none>';
      const ports = arr(spec.ports)
        .filter(isObject)
        .map((p) => `${String(p.port)}${typeof p.nodePort === 'number' ? `:${p.nodePort}` : ''}/${str(p.protocol) ?? 'TCP'}`);
      return [o.metadata.name, type, str(spec.clusterIP) ?? '<none>', ext, ports.length > 0 ? ports.join(',') : '<none>', age(o, now), mapSelectorString(spec.selector)];
    },
  },
  '/endpoints': {
    columns: [NAME, col('Endpoints'), AGE],
    cells(o, now) {
      const eps: string[] = [];
      for (const s of arr(o.subsets).filter(isObject)) {
        const ports = arr(s.ports).filter(isObject);
        for (const a of arr(s.addresses).filter(isObject)) {
          if (ports.length === 0) eps.push(String(a.ip));
          for (const p of ports) eps.push(`${String(a.ip)}:${String(p.port)}`);
        }
      }
      const shown = eps.length > 3 ? `${eps.slice(0, 3).join(',')} + ${eps.length - 3} more...` : eps.join(',');
      return [o.metadata.name, eps.length > 0 ? shown : '<none>', age(o, now)];
    },
  },
  'discovery.k8s.io/endpointslices': {
    columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE],
    cells(o, now) {
      const ports = arr(o.ports).filter(isObject).map((p) => String(p.port));
      const addrs = arr(o.endpoints).flatMap((e) => arr(obj(e).addresses).map(String));
      const shown = addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',');
      return [o.metadata.name, str(o.addressType) ?? '', ports.length > 0 ? ports.join(',') : '<unset>', addrs.length > 0 ? shown : '<unset>', age(o, now)];
    },
  },
  '/namespaces': {
    columns: [NAME, col('Status'), AGE],
    cells: (o, now) => [o.metadata.name, str(obj(o.status).phase) ?? '', age(o, now)],
  },
  '/nodes': {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    cells(o, now) {
      const s = obj(o.status);
      const ready = arr(s.conditions).map(obj).find((c) => c.type === 'Ready');
      const statuses = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
      if (obj(o.spec).unschedulable === true) statuses.push('SchedulingDisabled');
      const roles = Object.keys(obj(o.metadata.labels))
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length));
      const addr = (t: string): string => str(arr(s.addresses).map(obj).find((a) => a.type === t)?.address) ?? '<none>';
      const info = obj(s.nodeInfo);
      return [o.metadata.name, statuses.join(','), roles.length > 0 ? roles.join(',') : '<none>', age(o, now), str(info.kubeletVersion) ?? '', addr('InternalIP'), addr('ExternalIP'), str(info.osImage) ?? '', str(info.kernelVersion) ?? '', str(info.containerRuntimeVersion) ?? ''];
    },
  },
  '/secrets': {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    cells: (o, now) => [o.metadata.name, str(o.type) ?? '', Object.keys(obj(o.data)).length, age(o, now)],
  },
  '/configmaps': {
    columns: [NAME, col('Data', 'integer'), AGE],
    cells: (o, now) => [o.metadata.name, Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, age(o, now)],
  },
  '/serviceaccounts': {
    columns: [NAME, col('Secrets', 'integer'), AGE],
    cells: (o, now) => [o.metadata.name, arr(o.secrets).length, age(o, now)],
  },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'), col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1, 'name')],
    cells(o, now) {
      const io = obj(o.involvedObject);
      const last = str(o.lastTimestamp) ?? str(o.eventTime) ?? str(o.metadata.creationTimestamp);
      const first = str(o.firstTimestamp) ?? last;
      const src = obj(o.source);
      return [
        since(last, now),
        str(o.type) ?? '',
        str(o.reason) ?? '',
        `${text(io.kind ?? '').toLowerCase()}/${text(io.name ?? '')}`,
        str(io.fieldPath) ?? '',
        [str(src.component), str(src.host)].filter((x) => x).join(', ') || str(o.reportingComponent) || '',
        str(o.message) ?? '',
        since(first, now),
        String(num(o.count) ?? 1),
        o.metadata.name,
      ];
    },
  },
  '/persistentvolumeclaims': {
    columns: [NAME, col('Status'), col('Volume'), col('Capacity'), col('Access Modes'), col('StorageClass'), col('VolumeAttributesClass'), AGE, col('VolumeMode', 'string', 1)],
    cells(o, now) {
      const s = obj(o.status);
      const spec = obj(o.spec);
      const phase = o.metadata.deletionTimestamp ? 'Terminating' : (str(s.phase) ?? '');
      return [o.metadata.name, phase, str(spec.volumeName) ?? '', str(obj(s.capacity).storage) ?? '', accessModes(s.accessModes), str(spec.storageClassName) ?? '', '<unset>', age(o, now), str(spec.volumeMode) ?? 'Filesystem'];
    },
  },
  '/persistentvolumes': {
    columns: [NAME, col('Capacity'), col('Access Modes'), col('Reclaim Policy'), col('Status'), col('Claim'), col('StorageClass'), col('VolumeAttributesClass'), col('Reason'), AGE, col('VolumeMode', 'string', 1)],
    cells(o, now) {
      const spec = obj(o.spec);
      const claim = obj(spec.claimRef);
      return [
        o.metadata.name,
        str(obj(spec.capacity).storage) ?? '',
        accessModes(spec.accessModes),
        str(spec.persistentVolumeReclaimPolicy) ?? '',
        o.metadata.deletionTimestamp ? 'Terminating' : (str(obj(o.status).phase) ?? ''),
        claim.name ? `${text(claim.namespace)}/${text(claim.name)}` : '',
        str(spec.storageClassName) ?? '',
        '<unset>',
        str(obj(o.status).reason) ?? '',
        age(o, now),
        str(spec.volumeMode) ?? 'Filesystem',
      ];
    },
  },
  'storage.k8s.io/storageclasses': {
    columns: [NAME, col('Provisioner'), col('ReclaimPolicy'), col('VolumeBindingMode'), col('AllowVolumeExpansion', 'boolean'), AGE],
    cells(o, now) {
      const isDefault = obj(o.metadata.annotations)['storageclass.kubernetes.io/is-default-class'] === 'true';
      return [isDefault ? `${o.metadata.name} (default)` : o.metadata.name, str(o.provisioner) ?? '', str(o.reclaimPolicy) ?? 'Delete', str(o.volumeBindingMode) ?? 'Immediate', o.allowVolumeExpansion === true, age(o, now)];
    },
  },
  'networking.k8s.io/ingresses': {
    columns: [NAME, col('Class'), col('Hosts'), col('Address'), col('Ports'), AGE],
    cells(o, now) {
      const spec = obj(o.spec);
      const hosts = arr(spec.rules).map((r) => str(obj(r).host)).filter((h): h is string => !!h);
      const addr = arr(obj(obj(o.status).loadBalancer).ingress).map((i) => str(obj(i).ip) ?? str(obj(i).hostname) ?? '').filter((x) => x);
      const ports = arr(spec.tls).length > 0 ? '80, 443' : '80';
      return [o.metadata.name, str(spec.ingressClassName) ?? '<none>', hosts.length > 0 ? hosts.join(',') : '*', addr.join(','), ports, age(o, now)];
    },
  },
  'networking.k8s.io/ingressclasses': {
    columns: [NAME, col('Controller'), col('Parameters'), AGE],
    cells: (o, now) => [o.metadata.name, str(obj(o.spec).controller) ?? '', '<none>', age(o, now)],
  },
  'networking.k8s.io/networkpolicies': {
    columns: [NAME, col('Pod-Selector'), AGE],
    cells: (o, now) => {
      const sel = selectorString(obj(o.spec).podSelector);
      return [o.metadata.name, sel === '<none>' ? '<none>' : sel, age(o, now)];
    },
  },
  'autoscaling/horizontalpodautoscalers': {
    columns: [NAME, col('Reference'), col('Targets'), col('MinPods', 'integer'), col('MaxPods', 'integer'), col('Replicas', 'integer'), AGE],
    cells(o, now) {
      const spec = obj(o.spec);
      const ref = obj(spec.scaleTargetRef);
      const targets = arr(spec.metrics)
        .map((m) => obj(obj(obj(m).resource).target).averageUtilization)
        .filter((u) => u !== undefined)
        .map((u) => `cpu: <unknown>/${text(u)}%`);
      return [o.metadata.name, `${String(ref.kind)}/${String(ref.name)}`, targets.length > 0 ? targets.join(', ') : '<none>', num(spec.minReplicas) ?? 1, num(spec.maxReplicas) ?? 0, num(obj(o.status).currentReplicas) ?? 0, age(o, now)];
    },
  },
  'policy/poddisruptionbudgets': {
    columns: [NAME, col('Min Available'), col('Max Unavailable'), col('Allowed Disruptions', 'integer'), AGE],
    cells(o, now) {
      const spec = obj(o.spec);
      return [o.metadata.name, spec.minAvailable === undefined ? 'N/A' : text(spec.minAvailable), spec.maxUnavailable === undefined ? 'N/A' : text(spec.maxUnavailable), num(obj(o.status).disruptionsAllowed) ?? 0, age(o, now)];
    },
  },
  'coordination.k8s.io/leases': {
    columns: [NAME, col('Holder'), AGE],
    cells: (o, now) => [o.metadata.name, str(obj(o.spec).holderIdentity) ?? '', age(o, now)],
  },
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: [NAME, col('Created At', 'date')],
    cells: (o) => [o.metadata.name, str(o.metadata.creationTimestamp) ?? ''],
  },
};

function accessModes(modes: unknown): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return arr(modes)
    .map((m) => short[String(m)] ?? String(m))
    .join(',');
}

function crdPrinter(rt: ResourceType, version: string): Printer {
  const defs = rt.crdColumns?.[version] ?? [];
  const hasAge = defs.some((d) => d.name === 'Age');
  const columns: PrinterColumn[] = [NAME, ...defs.map((d) => ({ name: d.name, type: d.type === 'date' ? 'date' : d.type, format: d.format ?? '', description: d.description ?? '', priority: d.priority ?? 0 }))];
  if (defs.length === 0) columns.push(AGE);
  return {
    columns,
    cells(o, now) {
      const cells: Cell[] = [o.metadata.name];
      for (const d of defs) {
        const results = d.jsonPath ? evalJsonPath(o, d.jsonPath) : [];
        const v = results[0];
        if (v === undefined || v === null) cells.push(null);
        else if (d.type === 'date') cells.push(typeof v === 'string' ? humanDuration(now - Date.parse(v)) : null);
        else if (typeof v === 'object') cells.push(JSON.stringify(v));
        else if (d.type === 'integer' || d.type === 'number') cells.push(typeof v === 'number' ? v : Number(v));
        else if (d.type === 'boolean') cells.push(v === true || v === 'true');
        else cells.push(text(v));
      }
      if (defs.length === 0 && !hasAge) cells.push(age(o, now));
      return cells;
    },
  };
}

function printerFor(rt: ResourceType, version: string): Printer {
  if (!rt.builtin) return crdPrinter(rt, version);
  return printers[rt.key] ?? { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o, now)] };
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: KubeObject, include: IncludeObject): object | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function tableRow(rt: ResourceType, version: string, o: KubeObject, include: IncludeObject, now: number): object {
  const row: Record<string, unknown> = { cells: printerFor(rt, version).cells(o, now) };
  const ro = rowObject(o, include);
  if (ro) row.object = ro;
  return row;
}

export function table(
  rt: ResourceType,
  version: string,
  items: KubeObject[],
  include: IncludeObject,
  now: number,
  listMeta: Record<string, unknown>,
  withColumns = true,
): object {
  const p = printerFor(rt, version);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? p.columns : null,
    rows: items.map((o) => tableRow(rt, version, o, include, now)),
  };
}
