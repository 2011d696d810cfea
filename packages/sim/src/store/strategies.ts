// Per-kind behaviour of the simulated apiserver's REST storage: defaulting, initial status,
// allocation, validation and admission (kube-sim-spec §6). Built-ins only; custom resources get
// their schema defaults in storage.ts.

import { ApiError, forbidden, type StatusCause } from '../api/errors.ts';
import type { Registry, ResourceType } from '../api/registry.ts';
import { arr, deepEqual, isObject, obj, str, text, type JsonObject } from '../util/json.ts';
import { isDns1123Label, isDns1123Subdomain } from '../util/names.ts';
import type { Allocators } from './allocators.ts';
import { namespaceLevel, podSecurityViolations, violationMessage, warningMessage } from './pod-security.ts';
import { matchesLabels, selectorFromObject } from './selectors.ts';
import type { KubeObject, Store } from './store.ts';

export interface ClusterServices {
  readonly store: Store;
  readonly registry: Registry;
  readonly allocators: Allocators;
}

export interface WriteContext {
  readonly now: number;
  /** Written by a simulated controller: skips checks meant for clients (pod spec immutability). */
  readonly internal: boolean;
  readonly warnings: string[];
  readonly services: ClusterServices;
  readonly dryRun: boolean;
  /** The name as the client sent it: the generateName prefix when the server generates the name. */
  requestName?: string;
}

export interface Strategy {
  defaults?(o: JsonObject, ctx: WriteContext): void;
  prepareForCreate?(o: JsonObject, ctx: WriteContext): void;
  prepareForUpdate?(next: JsonObject, old: KubeObject, ctx: WriteContext): void;
  validate?(o: JsonObject, old: KubeObject | undefined, ctx: WriteContext): StatusCause[];
  admit?(o: JsonObject, old: KubeObject | undefined, rt: ResourceType, ctx: WriteContext): void;
  /** After the object is gone (release allocations). */
  released?(o: KubeObject, ctx: ClusterServices): void;
}

// ---------------------------------------------------------------- helpers

function ensure(o: JsonObject, key: string): JsonObject {
  const v = o[key];
  if (isObject(v)) return v;
  const fresh: JsonObject = {};
  o[key] = fresh;
  return fresh;
}

function defaultValue(o: JsonObject, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function imageTag(image: string): string | undefined {
  const at = image.indexOf('@');
  if (at >= 0) return 'digest';
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : undefined;
}

function defaultContainer(c: JsonObject): void {
  const image = str(c.image) ?? '';
  const tag = imageTag(image);
  defaultValue(c, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent');
  defaultValue(c, 'terminationMessagePath', '/dev/termination-log');
  defaultValue(c, 'terminationMessagePolicy', 'File');
  defaultValue(c, 'resources', {});
  for (const p of arr(c.ports)) if (isObject(p)) defaultValue(p, 'protocol', 'TCP');
  for (const e of arr(c.env)) {
    if (!isObject(e)) continue;
    const ref = obj(e.valueFrom).fieldRef;
    if (isObject(ref)) defaultValue(ref, 'apiVersion', 'v1');
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = c[probe];
    if (!isObject(p)) continue;
    defaultValue(p, 'timeoutSeconds', 1);
    defaultValue(p, 'periodSeconds', 10);
    defaultValue(p, 'successThreshold', 1);
    defaultValue(p, 'failureThreshold', 3);
    if (isObject(p.httpGet)) defaultValue(p.httpGet, 'scheme', 'HTTP');
  }
}

export function defaultPodSpec(spec: JsonObject): void {
  defaultValue(spec, 'restartPolicy', 'Always');
  defaultValue(spec, 'terminationGracePeriodSeconds', 30);
  defaultValue(spec, 'dnsPolicy', 'ClusterFirst');
  defaultValue(spec, 'securityContext', {});
  defaultValue(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) if (isObject(c)) defaultContainer(c);
  for (const v of arr(spec.volumes)) {
    if (!isObject(v)) continue;
    if (isObject(v.secret)) defaultValue(v.secret, 'defaultMode', 420);
    if (isObject(v.configMap)) defaultValue(v.configMap, 'defaultMode', 420);
  }
}

function defaultTemplate(spec: JsonObject): void {
  const tpl = ensure(spec, 'template');
  defaultValue(tpl, 'metadata', {});
  defaultPodSpec(ensure(tpl, 'spec'));
}

function required(field: string): StatusCause {
  return { type: 'FieldValueRequired', message: 'Required value', field };
}

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field };
}

function validateContainers(spec: JsonObject, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const list = arr(spec.containers);
  if (list.length === 0) causes.push(required(`${path}.containers`));
  const names = new Set<string>();
  list.forEach((c, i) => {
    const co = obj(c);
    const name = str(co.name);
    if (!name) causes.push(required(`${path}.containers[${i}].name`));
    else if (names.has(name)) causes.push({ type: 'FieldValueDuplicate', message: `Duplicate value: "${name}"`, field: `${path}.containers[${i}].name` });
    else if (!isDns1123Label(name)) causes.push(invalidValue(`${path}.containers[${i}].name`, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
    if (name) names.add(name);
    if (!str(co.image)) causes.push(required(`${path}.containers[${i}].image`));
  });
  return causes;
}

function validateSelectorMatchesTemplate(o: JsonObject): StatusCause[] {
  const spec = obj(o.spec);
  const causes: StatusCause[] = [];
  const selector = selectorFromObject(spec.selector);
  if (!selector || selector.length === 0) {
    causes.push(required('spec.selector'));
    return causes;
  }
  const labels = obj(obj(obj(spec.template).metadata).labels);
  if (!matchesLabels(selector, labels)) {
    causes.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  causes.push(...validateContainers(obj(obj(spec.template).spec), 'spec.template.spec'));
  return causes;
}

function immutableSelector(o: JsonObject, old: KubeObject | undefined): StatusCause[] {
  if (!old) return [];
  const before = obj(old.spec).selector;
  const after = obj(o.spec).selector;
  if (deepEqual(before, after)) return [];
  return [{ type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(after)}: field is immutable`, field: 'spec.selector' }];
}

function podSecurityAdmission(podSpec: unknown, podMeta: unknown, rt: ResourceType, name: string, namespace: string, ctx: WriteContext, isPod: boolean): void {
  const nsObj = ctx.services.store.get(ctx.services.registry.get('/namespaces') as ResourceType, '', namespace);
  if (!nsObj) return;
  const labels = nsObj.metadata.labels;
  const enforce = namespaceLevel(labels, 'enforce');
  const warn = namespaceLevel(labels, 'warn');
  if (enforce) {
    const v = podSecurityViolations(podSpec, podMeta, enforce);
    if (v.length > 0) {
      if (isPod) throw forbidden(rt.resource, rt.group, name, violationMessage(enforce, v));
      ctx.warnings.push(warningMessage(enforce, v));
      return;
    }
  }
  if (warn && warn !== enforce) {
    const v = podSecurityViolations(podSpec, podMeta, warn);
    if (v.length > 0) ctx.warnings.push(warningMessage(warn, v));
  }
}

function quantityPositive(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number';
}

// ---------------------------------------------------------------- strategies

const namespace: Strategy = {
  defaults(o) {
    const meta = ensure(o, 'metadata');
    const labels = ensure(meta, 'labels');
    labels['kubernetes.io/metadata.name'] = String(meta.name);
  },
  prepareForCreate(o) {
    const spec = ensure(o, 'spec');
    defaultValue(spec, 'finalizers', ['kubernetes']);
    o.status = { phase: 'Active' };
  },
  validate(o) {
    const name = String(obj(o.metadata).name);
    return isDns1123Label(name)
      ? []
      : [invalidValue('metadata.name', name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")];
  },
};

const secret: Strategy = {
  defaults(o) {
    if (o.type === undefined || o.type === null || o.type === '') o.type = 'Opaque';
    if (isObject(o.stringData)) {
      const data = { ...obj(o.data) };
      for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      o.data = data;
    }
    delete o.stringData;
  },
  validate(o, old) {
    if (old && old.immutable === true && !deepEqual(obj(old.data), obj(o.data))) {
      return [{ type: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data' }];
    }
    if (old && old.type !== undefined && old.type !== o.type) {
      return [invalidValue('type', o.type, 'field is immutable')];
    }
    return [];
  },
};

const configMap: Strategy = {
  validate(o, old) {
    if (old && old.immutable === true && (!deepEqual(obj(old.data), obj(o.data)) || !deepEqual(obj(old.binaryData), obj(o.binaryData)))) {
      return [{ type: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data' }];
    }
    return [];
  },
};

const service: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    defaultValue(spec, 'type', 'ClusterIP');
    if (spec.type === 'ExternalName') return;
    defaultValue(spec, 'sessionAffinity', 'None');
    defaultValue(spec, 'ipFamilies', ['IPv4']);
    defaultValue(spec, 'ipFamilyPolicy', 'SingleStack');
    defaultValue(spec, 'internalTrafficPolicy', 'Cluster');
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') defaultValue(spec, 'externalTrafficPolicy', 'Cluster');
    if (spec.type === 'LoadBalancer') defaultValue(spec, 'allocateLoadBalancerNodePorts', true);
    for (const p of arr(spec.ports)) {
      if (!isObject(p)) continue;
      defaultValue(p, 'protocol', 'TCP');
      defaultValue(p, 'targetPort', p.port);
    }
  },
  prepareForCreate(o, ctx) {
    const spec = ensure(o, 'spec');
    o.status = { loadBalancer: {} };
    if (spec.type === 'ExternalName') return;
    allocateServiceAddresses(spec, undefined, ctx);
  },
  prepareForUpdate(next, old, ctx) {
    const spec = ensure(next, 'spec');
    const oldSpec = obj(old.spec);
    if (spec.type === 'ExternalName') return;
    if ((spec.clusterIP === undefined || spec.clusterIP === '') && oldSpec.clusterIP !== undefined) {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs;
    }
    allocateServiceAddresses(spec, oldSpec, ctx);
  },
  validate(o, old) {
    const spec = obj(o.spec);
    const causes: StatusCause[] = [];
    const name = String(obj(o.metadata).name);
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      causes.push(invalidValue('metadata.name', name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"));
    }
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && arr(spec.ports).length === 0) causes.push(required('spec.ports'));
    if (old) {
      const before = obj(old.spec).clusterIP;
      if (before !== undefined && spec.clusterIP !== before && obj(old.spec).type !== 'ExternalName' && spec.type !== 'ExternalName') {
        causes.push({ type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec.clusterIPs ?? [spec.clusterIP])}: may not change once set`, field: 'spec.clusterIPs[0]' });
      }
    }
    return causes;
  },
  released(o, services) {
    const spec = obj(o.spec);
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None') services.allocators.serviceIPs.release(spec.clusterIP);
    for (const p of arr(spec.ports)) if (isObject(p) && typeof p.nodePort === 'number') services.allocators.nodePorts.release(p.nodePort);
  },
};

function allocateServiceAddresses(spec: JsonObject, oldSpec: JsonObject | undefined, ctx: WriteContext): void {
  const a = ctx.services.allocators;
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    const ip = ctx.dryRun ? '10.96.0.0' : a.serviceIPs.allocate();
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  } else if (spec.clusterIP !== 'None' && !oldSpec && !ctx.dryRun) {
    if (!a.serviceIPs.reserve(text(spec.clusterIP))) {
      throw new ApiError(422, 'Invalid', `Service "${text(obj(spec).name ?? '')}" is invalid: spec.clusterIPs: Invalid value: []string{"${text(spec.clusterIP)}"}: failed to allocate IP ${text(spec.clusterIP)}: provided IP is already allocated`);
    }
    defaultValue(spec, 'clusterIPs', [spec.clusterIP]);
  } else {
    defaultValue(spec, 'clusterIPs', [spec.clusterIP]);
  }
  const needsNodePort = spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  const oldPorts = arr(oldSpec?.ports).filter(isObject);
  for (const p of arr(spec.ports)) {
    if (!isObject(p)) continue;
    if (!needsNodePort) {
      if (typeof p.nodePort === 'number' && !ctx.dryRun) a.nodePorts.release(p.nodePort);
      delete p.nodePort;
      continue;
    }
    if (typeof p.nodePort === 'number') {
      const had = oldPorts.some((q) => q.nodePort === p.nodePort);
      if (!had && !ctx.dryRun) a.nodePorts.reserve(p.nodePort);
      continue;
    }
    const previous = oldPorts.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
    p.nodePort = typeof previous?.nodePort === 'number' ? previous.nodePort : ctx.dryRun ? 30000 : a.nodePorts.allocate();
  }
}

function qosClass(spec: JsonObject): string {
  const cs = arr(spec.containers).filter(isObject);
  let anyResources = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const r = obj(c.resources);
    const limits = obj(r.limits);
    const requests = { ...limits, ...obj(r.requests) };
    if (Object.keys(limits).length > 0 || Object.keys(obj(r.requests)).length > 0) anyResources = true;
    for (const res of ['cpu', 'memory']) {
      if (limits[res] === undefined || text(requests[res]) !== text(limits[res])) guaranteed = false;
    }
  }
  if (!anyResources) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const pod: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    defaultPodSpec(spec);
    defaultValue(spec, 'serviceAccountName', 'default');
    defaultValue(spec, 'serviceAccount', spec.serviceAccountName);
    defaultValue(spec, 'enableServiceLinks', true);
    defaultValue(spec, 'preemptionPolicy', 'PreemptLowerPriority');
    defaultValue(spec, 'priority', 0);
    const tolerations = arr(spec.tolerations).filter(isObject);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      if (!tolerations.some((t) => t.key === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
    spec.tolerations = tolerations;
    // Resource limits without requests default the requests, as the apiserver does.
    for (const c of arr(spec.containers)) {
      if (!isObject(c)) continue;
      const r = obj(c.resources);
      if (isObject(r.limits)) {
        const req = { ...r.limits, ...obj(r.requests) };
        c.resources = { ...r, requests: req };
      }
    }
  },
  prepareForCreate(o) {
    const spec = obj(o.spec);
    o.status = { phase: 'Pending', qosClass: qosClass(spec) };
  },
  validate(o, old, ctx) {
    const causes = validateContainers(obj(o.spec), 'spec');
    if (old && !ctx.internal) {
      const strip = (s: unknown): JsonObject => {
        const c = { ...obj(s) };
        c.containers = arr(c.containers).map((x) => ({ ...obj(x), image: undefined }));
        c.initContainers = arr(c.initContainers).map((x) => ({ ...obj(x), image: undefined }));
        delete c.activeDeadlineSeconds;
        delete c.tolerations;
        delete c.terminationGracePeriodSeconds;
        return c;
      };
      if (!deepEqual(strip(old.spec), strip(o.spec))) {
        causes.push({
          type: 'FieldValueForbidden',
          message:
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          field: 'spec',
        });
      }
    }
    return causes;
  },
  admit(o, old, rt, ctx) {
    if (old) return;
    const meta = obj(o.metadata);
    const name = ctx.requestName ?? str(meta.name) ?? '';
    podSecurityAdmission(o.spec, meta, rt, name, String(meta.namespace), ctx, true);
  },
  released(o, services) {
    const ip = obj(o.status).podIP;
    if (typeof ip === 'string') services.allocators.podIPs.release(ip);
  },
};

function workloadAdmit(o: JsonObject, _old: KubeObject | undefined, rt: ResourceType, ctx: WriteContext): void {
  const meta = obj(o.metadata);
  const tpl = obj(obj(o.spec).template);
  podSecurityAdmission(obj(tpl.spec), tpl.metadata, rt, String(meta.name), String(meta.namespace), ctx, false);
}

const deployment: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    defaultValue(spec, 'replicas', 1);
    defaultValue(spec, 'revisionHistoryLimit', 10);
    defaultValue(spec, 'progressDeadlineSeconds', 600);
    const strategy = ensure(spec, 'strategy');
    defaultValue(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = ensure(strategy, 'rollingUpdate');
      defaultValue(ru, 'maxSurge', '25%');
      defaultValue(ru, 'maxUnavailable', '25%');
    }
    defaultTemplate(spec);
  },
  prepareForCreate(o) {
    o.status = {};
  },
  validate(o, old) {
    return [...validateSelectorMatchesTemplate(o), ...immutableSelector(o, old)];
  },
  admit: workloadAdmit,
};

const replicaSet: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    defaultValue(spec, 'replicas', 1);
    defaultTemplate(spec);
  },
  prepareForCreate(o) {
    o.status = { replicas: 0 };
  },
  validate(o, old) {
    return [...validateSelectorMatchesTemplate(o), ...immutableSelector(o, old)];
  },
  admit: workloadAdmit,
};

const pvc: Strategy = {
  defaults(o, ctx) {
    const spec = ensure(o, 'spec');
    defaultValue(spec, 'volumeMode', 'Filesystem');
    if (spec.storageClassName === undefined) {
      const sc = defaultStorageClass(ctx.services);
      if (sc) spec.storageClassName = sc;
    }
  },
  prepareForCreate(o) {
    o.status = { phase: 'Pending' };
  },
  validate(o, old) {
    const spec = obj(o.spec);
    const causes: StatusCause[] = [];
    if (arr(spec.accessModes).length === 0) causes.push(required('spec.accessModes'));
    if (!quantityPositive(obj(obj(spec.resources).requests).storage)) causes.push(required('spec.resources[storage]'));
    if (old) {
      const strip = (s: unknown): JsonObject => ({ ...obj(s), resources: undefined, volumeName: undefined });
      const before = strip(old.spec);
      const after = strip(o.spec);
      if (!deepEqual(before, after)) {
        causes.push({ type: 'FieldValueForbidden', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims', field: 'spec' });
      }
    }
    return causes;
  },
};

export function defaultStorageClass(services: ClusterServices): string | undefined {
  const rt = services.registry.get('storage.k8s.io/storageclasses');
  if (!rt) return undefined;
  for (const sc of services.store.iterate(rt)) {
    if (obj(sc.metadata.annotations)['storageclass.kubernetes.io/is-default-class'] === 'true') return sc.metadata.name;
  }
  return undefined;
}

const pv: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    defaultValue(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    defaultValue(spec, 'volumeMode', 'Filesystem');
  },
  prepareForCreate(o) {
    o.status = { phase: 'Pending' };
  },
};

const storageClass: Strategy = {
  defaults(o) {
    defaultValue(o, 'reclaimPolicy', 'Delete');
    defaultValue(o, 'volumeBindingMode', 'Immediate');
  },
};

const ingress: Strategy = {
  prepareForCreate(o) {
    o.status = { loadBalancer: {} };
  },
  validate(o) {
    const causes: StatusCause[] = [];
    arr(obj(o.spec).rules).forEach((r, i) => {
      arr(obj(obj(r).http).paths).forEach((p, j) => {
        if (!str(obj(p).pathType)) causes.push(required(`spec.rules[${i}].http.paths[${j}].pathType`));
      });
    });
    return causes;
  },
};

const networkPolicy: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    if (spec.policyTypes === undefined) {
      const types = ['Ingress'];
      if (spec.egress !== undefined) types.push('Egress');
      spec.policyTypes = types;
    }
    defaultValue(spec, 'podSelector', {});
  },
};

const hpa: Strategy = {
  prepareForCreate(o) {
    o.status = { currentMetrics: null, desiredReplicas: 0, currentReplicas: 0 };
  },
};

const pdb: Strategy = {
  prepareForCreate(o) {
    o.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
};

const resourceQuota: Strategy = {
  prepareForCreate(o) {
    o.status = { hard: obj(o.spec).hard ?? {}, used: {} };
  },
};

const crd: Strategy = {
  defaults(o) {
    const spec = ensure(o, 'spec');
    const names = ensure(spec, 'names');
    if (typeof names.kind === 'string') {
      defaultValue(names, 'singular', names.kind.toLowerCase());
      defaultValue(names, 'listKind', `${names.kind}List`);
    }
    defaultValue(spec, 'conversion', { strategy: 'None' });
  },
  prepareForCreate(o) {
    o.status = { acceptedNames: { kind: '', plural: '' }, conditions: [], storedVersions: [] };
  },
  validate(o) {
    const spec = obj(o.spec);
    const names = obj(spec.names);
    const causes: StatusCause[] = [];
    const name = String(obj(o.metadata).name);
    const expected = `${String(names.plural)}.${String(spec.group)}`;
    if (name !== expected) causes.push(invalidValue('metadata.name', name, `must be spec.names.plural+"."+spec.group`));
    if (!str(spec.group)) causes.push(required('spec.group'));
    if (!str(names.plural)) causes.push(required('spec.names.plural'));
    if (!str(names.kind)) causes.push(required('spec.names.kind'));
    if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') causes.push({ type: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"`, field: 'spec.scope' });
    const versions = arr(spec.versions).filter(isObject);
    if (versions.length === 0) causes.push(required('spec.versions'));
    else if (versions.filter((v) => v.storage === true).length !== 1) {
      causes.push(invalidValue('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
    }
    return causes;
  },
};

const validatingAdmissionPolicy: Strategy = {
  prepareForCreate(o) {
    o.status = { observedGeneration: 1, typeChecking: {} };
  },
};

const STRATEGIES: Record<string, Strategy> = {
  '/namespaces': namespace,
  '/secrets': secret,
  '/configmaps': configMap,
  '/services': service,
  '/pods': pod,
  '/persistentvolumeclaims': pvc,
  '/persistentvolumes': pv,
  '/resourcequotas': resourceQuota,
  'apps/deployments': deployment,
  'apps/replicasets': replicaSet,
  'storage.k8s.io/storageclasses': storageClass,
  'networking.k8s.io/ingresses': ingress,
  'networking.k8s.io/networkpolicies': networkPolicy,
  'autoscaling/horizontalpodautoscalers': hpa,
  'policy/poddisruptionbudgets': pdb,
  'apiextensions.k8s.io/customresourcedefinitions': crd,
  'admissionregistration.k8s.io/validatingadmissionpolicies': validatingAdmissionPolicy,
};

export function strategyFor(rt: ResourceType): Strategy {
  return STRATEGIES[rt.key] ?? {};
}

export function validateName(rt: ResourceType, name: string): StatusCause[] {
  if (rt.key === '/namespaces' || rt.key === '/services') return [];
  if (rt.key === '/nodes' && name.length > 0) return [];
  if (!isDns1123Subdomain(name)) {
    return [
      invalidValue(
        'metadata.name',
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    ];
  }
  return [];
}
