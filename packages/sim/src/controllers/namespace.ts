// Namespace controller (kube-sim-spec §12.1, §7.7): default ServiceAccount and kube-root-ca.crt in
// new namespaces; on deletion, delete all content, report what remains, then finalize.

import { ApiError } from '../api/errors.ts';
import type { StoreEvent } from '../store/store.ts';
import { arr, obj } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { setCondition } from './util.ts';

export function namespaceController(ctx: ControllerContext, caPem: () => string): Controller {
  const nsRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/namespaces');
  return {
    name: 'namespace',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === '/namespaces') {
        if (e.type !== 'DELETED') queue.add(e.object.metadata.name);
        return;
      }
      const ns = e.object.metadata.namespace;
      if (!ns || !e.rt.namespaced) return;
      if (e.type === 'DELETED' || e.object.metadata.deletionTimestamp) {
        const nsObj = ctx.store.get(nsRt(), '', ns);
        if (nsObj?.metadata.deletionTimestamp) queue.add(ns);
      }
    },
    resync(queue) {
      for (const n of ctx.store.iterate(nsRt())) queue.add(n.metadata.name);
    },
    reconcile(name) {
      const ns = ctx.store.get(nsRt(), '', name);
      if (!ns) return;
      if (!ns.metadata.deletionTimestamp) {
        ensure(ctx, '/serviceaccounts', name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
        ensure(ctx, '/configmaps', name, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'kube-root-ca.crt', namespace: name, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
          data: { 'ca.crt': caPem() },
        });
        return;
      }
      // Terminating: delete everything namespaced, then finalize.
      const remaining = new Map<string, number>();
      const finalizers = new Map<string, number>();
      for (const rt of ctx.registry.all()) {
        if (!rt.namespaced || rt.virtual || !rt.verbs.includes('delete')) continue;
        for (const o of [...ctx.store.iterate(rt, name)]) {
          if (!o.metadata.deletionTimestamp) {
            try {
              ctx.storage.delete(rt, name, o.metadata.name, { propagationPolicy: 'Background' });
            } catch (err) {
              if (!(err instanceof ApiError && err.code === 404)) throw err;
            }
          }
          const still = ctx.store.get(rt, name, o.metadata.name);
          if (still) {
            const label = rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
            remaining.set(label, (remaining.get(label) ?? 0) + 1);
            for (const f of arr(still.metadata.finalizers)) finalizers.set(String(f), (finalizers.get(String(f)) ?? 0) + 1);
          }
        }
      }
      const now = ctx.now();
      let conditions = obj(ns.status).conditions;
      conditions = setCondition(conditions, { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' }, now);
      conditions = setCondition(conditions, { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' }, now);
      conditions = setCondition(conditions, { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' }, now);
      conditions = setCondition(
        conditions,
        remaining.size > 0
          ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${[...remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}` }
          : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
        now,
      );
      conditions = setCondition(
        conditions,
        finalizers.size > 0
          ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${[...finalizers].map(([f, n]) => `${f} in ${n} resource instances`).join(', ')}` }
          : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
        now,
      );
      ctx.storage.writeStatus(nsRt(), '', name, { ...obj(ns.status), phase: 'Terminating', conditions }, { fieldManager: 'kube-controller-manager' });
      if (remaining.size > 0) return 1000;
      ctx.storage.mutate(
        nsRt(),
        '',
        name,
        (draft) => {
          const spec = obj(draft.spec);
          draft.spec = { ...spec, finalizers: arr(spec.finalizers).filter((f) => f !== 'kubernetes') };
        },
        { fieldManager: 'kube-controller-manager' },
      );
      return undefined;
    },
  };
}

function ensure(ctx: ControllerContext, key: string, ns: string, body: Record<string, unknown>): void {
  const rt = ctx.rt(key);
  const name = String((body.metadata as { name: string }).name);
  if (ctx.store.get(rt, ns, name)) return;
  try {
    ctx.storage.create(rt, ns, body, { internal: true, fieldManager: 'kube-controller-manager' });
  } catch (err) {
    if (!(err instanceof ApiError && (err.code === 409 || err.code === 403))) throw err;
  }
}
