// CustomResourceDefinition controller (kube-sim-spec §12.10): registers served versions in the
// registry (dynamic discovery, OpenAPI, routing), writes NamesAccepted/Established, and on
// deletion removes every custom resource before releasing the CRD.

import { ApiError } from '../api/errors.ts';
import { compareKubeVersions, defineResource, type PrinterColumn, type ResourceType } from '../api/registry.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, isObject, obj, str, text, type JsonObject } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { setCondition } from './util.ts';

const CLEANUP = 'customresourcecleanup.apiextensions.k8s.io';

export function crdToResourceType(crd: KubeObject): ResourceType | undefined {
  const spec = obj(crd.spec);
  const names = obj(spec.names);
  const group = str(spec.group);
  const plural = str(names.plural);
  const kind = str(names.kind);
  if (!group || !plural || !kind) return undefined;
  const versions = arr(spec.versions).filter(isObject);
  const served = versions.filter((v) => v.served === true).map((v) => String(v.name)).sort(compareKubeVersions);
  if (served.length === 0) return undefined;
  const storage = text(versions.find((v) => v.storage === true)?.name ?? served[0]);
  const columns: Record<string, PrinterColumn[]> = {};
  const schemas: Record<string, JsonObject | undefined> = {};
  let status = false;
  let scale: ResourceType['scale'];
  for (const v of versions) {
    const name = String(v.name);
    columns[name] = arr(v.additionalPrinterColumns)
      .filter(isObject)
      .map((c) => ({
        name: String(c.name),
        type: text(c.type ?? 'string'),
        ...(typeof c.format === 'string' ? { format: c.format } : {}),
        ...(typeof c.description === 'string' ? { description: c.description } : {}),
        priority: typeof c.priority === 'number' ? c.priority : 0,
        jsonPath: text(c.jsonPath ?? ''),
      }));
    const schema = obj(v.schema).openAPIV3Schema;
    schemas[name] = isObject(schema) ? schema : undefined;
    const sub = obj(v.subresources);
    if (name === storage || v.served === true) {
      if (sub.status !== undefined) status = true;
      if (isObject(sub.scale)) {
        scale = {
          specReplicasPath: text(sub.scale.specReplicasPath ?? '.spec.replicas'),
          statusReplicasPath: text(sub.scale.statusReplicasPath ?? '.status.replicas'),
          ...(typeof sub.scale.labelSelectorPath === 'string' ? { labelSelectorPath: sub.scale.labelSelectorPath } : {}),
        };
      }
    }
  }
  return defineResource({
    group,
    versions: served,
    storageVersion: storage,
    resource: plural,
    singular: str(names.singular) ?? kind.toLowerCase(),
    kind,
    listKind: str(names.listKind) ?? `${kind}List`,
    namespaced: spec.scope !== 'Cluster',
    shortNames: arr(names.shortNames).map(String),
    categories: arr(names.categories).map(String),
    status,
    ...(scale ? { scale } : {}),
    builtin: false,
    tracksGeneration: true,
    crdColumns: columns,
    schemas,
  });
}

/** Registers a CRD's types and writes its Established status. Returns false when it cannot be served. */
export function establishCrd(ctx: ControllerContext, crd: KubeObject): boolean {
  const rt = crdToResourceType(crd);
  const existing = rt ? ctx.registry.get(rt.key) : undefined;
  if (!rt || (existing && existing.source === 'builtin')) return false;
  ctx.registry.add(rt);
  ctx.store.retype(rt);
  const now = ctx.now();
  const spec = obj(crd.spec);
  const status = obj(crd.status);
  const names = obj(spec.names);
  const acceptedNames: JsonObject = { ...names, singular: names.singular ?? String(names.kind).toLowerCase(), listKind: names.listKind ?? `${String(names.kind)}List` };
  let conditions = status.conditions;
  conditions = setCondition(conditions, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now);
  conditions = setCondition(conditions, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now);
  const group = String(spec.group);
  if (group.endsWith('.k8s.io') || group.endsWith('.kubernetes.io') || group === 'k8s.io' || group === 'kubernetes.io') {
    const approval = str(obj(crd.metadata.annotations)['api-approved.kubernetes.io']);
    conditions = setCondition(
      conditions,
      approval && /^https?:\/\//.test(approval)
        ? { type: 'KubernetesAPIApprovalPolicyConformant', status: 'True', reason: 'ApprovedAnnotation', message: `approved in ${approval}` }
        : { type: 'KubernetesAPIApprovalPolicyConformant', status: 'False', reason: 'MissingAnnotation', message: 'protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111' },
      now,
    );
  }
  const stored = new Set(arr(status.storedVersions).map(String));
  stored.add(rt.storageVersion);
  ctx.storage.writeStatus(ctx.rt('apiextensions.k8s.io/customresourcedefinitions'), '', crd.metadata.name, { conditions, acceptedNames, storedVersions: [...stored] }, { fieldManager: 'kube-apiserver' });
  return true;
}

export function crdController(ctx: ControllerContext): Controller {
  const crdRt = (): ResourceType => ctx.rt('apiextensions.k8s.io/customresourcedefinitions');
  const registeredBy = new Map<string, string>();

  return {
    name: 'customresourcedefinition',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === crdRt().key) {
        queue.add(e.object.metadata.name);
        return;
      }
      if (e.type === 'DELETED' && e.rt.source === 'crd') {
        const crdName = `${e.rt.resource}.${e.rt.group}`;
        const crd = ctx.store.get(crdRt(), '', crdName);
        if (crd?.metadata.deletionTimestamp) queue.add(crdName);
      }
    },
    resync(queue) {
      for (const c of ctx.store.iterate(crdRt())) queue.add(c.metadata.name);
    },
    reconcile(name) {
      const crd = ctx.store.get(crdRt(), '', name);
      if (!crd) {
        const key = registeredBy.get(name);
        if (key) {
          ctx.registry.remove(key);
          ctx.store.dropType(key);
          registeredBy.delete(name);
        }
        return undefined;
      }
      const rt = crdToResourceType(crd);
      if (crd.metadata.deletionTimestamp) {
        if (rt) {
          const live = ctx.registry.get(rt.key);
          let remaining = 0;
          if (live && live.source === 'crd') {
            for (const o of [...ctx.store.iterate(live)]) {
              remaining++;
              if (o.metadata.deletionTimestamp) continue;
              try {
                ctx.storage.delete(live, o.metadata.namespace ?? '', o.metadata.name, { propagationPolicy: 'Background' });
              } catch (err) {
                if (!(err instanceof ApiError && err.code === 404)) throw err;
              }
            }
            remaining = ctx.store.count(live);
          }
          const now = ctx.now();
          ctx.storage.writeStatus(crdRt(), '', name, {
            ...obj(crd.status),
            conditions: setCondition(obj(crd.status).conditions, remaining > 0
              ? { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }
              : { type: 'Terminating', status: 'True', reason: 'InstanceDeletionCompleted', message: 'removed all instances' }, now),
          }, { fieldManager: 'kube-apiserver' });
          if (remaining > 0) return 500;
          if (live && live.source === 'crd') {
            ctx.registry.remove(live.key);
            ctx.store.dropType(live.key);
          }
        }
        ctx.storage.mutate(crdRt(), '', name, (draft) => {
          draft.metadata.finalizers = arr(draft.metadata.finalizers).filter((f) => f !== CLEANUP);
        }, { fieldManager: 'kube-apiserver' });
        return undefined;
      }
      if (!arr(crd.metadata.finalizers).includes(CLEANUP)) {
        ctx.storage.mutate(crdRt(), '', name, (draft) => {
          draft.metadata.finalizers = [...arr(draft.metadata.finalizers).map(String), CLEANUP];
        }, { fieldManager: 'kube-apiserver' });
      }
      const current = ctx.store.get(crdRt(), '', name) ?? crd;
      if (rt) {
        const previous = registeredBy.get(name);
        if (previous && previous !== rt.key) {
          ctx.registry.remove(previous);
          ctx.store.dropType(previous);
        }
        if (establishCrd(ctx, current)) registeredBy.set(name, rt.key);
      }
      return undefined;
    },
  };
}
