// Ingress status for the simulator's IngressClass (kube-sim-spec §12.8), plus cert-manager's
// ingress-shim and gateway-shim: an Ingress (or Gateway) annotated with `cert-manager.io/issuer`
// or `cert-manager.io/cluster-issuer` gets one Certificate per TLS secret, owned by it.

import { ApiError } from '../api/errors.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, deepEqual, isObject, obj, str, type JsonObject } from '../util/json.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { ownerRefTo, splitKey } from './util.ts';

export interface IngressControllerOptions {
  address: () => string;
  controllerName: string;
}

export function ingressController(ctx: ControllerContext, options: IngressControllerOptions): Controller {
  const ingRt = (): ReturnType<typeof ctx.rt> => ctx.rt('networking.k8s.io/ingresses');
  const classRt = (): ReturnType<typeof ctx.rt> => ctx.rt('networking.k8s.io/ingressclasses');

  const ours = (ing: KubeObject): boolean => {
    const className = str(obj(ing.spec).ingressClassName) ?? str(obj(ing.metadata.annotations)['kubernetes.io/ingress.class']);
    if (className) {
      const ic = ctx.store.get(classRt(), '', className);
      return obj(ic?.spec).controller === options.controllerName;
    }
    for (const ic of ctx.store.iterate(classRt())) {
      if (obj(ic.metadata.annotations)['ingressclass.kubernetes.io/is-default-class'] === 'true' && obj(ic.spec).controller === options.controllerName) return true;
    }
    return false;
  };

  return {
    name: 'ingress',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === 'networking.k8s.io/ingresses' && e.type !== 'DELETED') queue.add(`ing:${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
      if (e.rt.key === 'networking.k8s.io/ingressclasses') for (const i of ctx.store.iterate(ingRt())) queue.add(`ing:${i.metadata.namespace ?? ''}/${i.metadata.name}`);
      if (e.rt.key === 'gateway.networking.k8s.io/gateways' && e.type !== 'DELETED') queue.add(`gw:${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
    },
    resync(queue) {
      for (const i of ctx.store.iterate(ingRt())) queue.add(`ing:${i.metadata.namespace ?? ''}/${i.metadata.name}`);
      const gwRt = ctx.maybeRt('gateway.networking.k8s.io/gateways');
      if (gwRt) for (const g of ctx.store.iterate(gwRt)) queue.add(`gw:${g.metadata.namespace ?? ''}/${g.metadata.name}`);
    },
    reconcile(key) {
      const type = key.slice(0, key.indexOf(':'));
      const [ns, name] = splitKey(key.slice(key.indexOf(':') + 1));
      if (type === 'gw') {
        const gwRt = ctx.maybeRt('gateway.networking.k8s.io/gateways');
        const gw = gwRt ? ctx.store.get(gwRt, ns, name) : undefined;
        if (gw && !gw.metadata.deletionTimestamp) {
          const secrets = arr(obj(gw.spec).listeners)
            .filter(isObject)
            .flatMap((l) => {
              const hostname = str(l.hostname);
              return arr(obj(l.tls).certificateRefs)
                .filter(isObject)
                .filter((r) => (str(r.namespace) ?? ns) === ns)
                .map((r) => ({ secret: String(r.name), hosts: hostname ? [hostname] : [] }));
            });
          shim(gw, secrets);
        }
        return;
      }
      const ing = ctx.store.get(ingRt(), ns, name);
      if (!ing || ing.metadata.deletionTimestamp) return;
      if (ours(ing)) {
        const ingress = [{ ip: options.address() }];
        const status = obj(ing.status);
        if (!deepEqual(obj(status.loadBalancer).ingress, ingress)) {
          ctx.storage.writeStatus(ingRt(), ns, name, { ...status, loadBalancer: { ingress } }, { fieldManager: 'satusky-sim-ingress-controller' });
        }
      }
      const secrets = arr(obj(ing.spec).tls)
        .filter(isObject)
        .filter((t) => typeof t.secretName === 'string')
        .map((t) => ({ secret: String(t.secretName), hosts: arr(t.hosts).map(String) }));
      shim(ing, secrets);
    },
  };

  function shim(owner: KubeObject, secrets: { secret: string; hosts: string[] }[]): void {
    const ann = obj(owner.metadata.annotations);
    const clusterIssuer = str(ann['cert-manager.io/cluster-issuer']);
    const issuer = str(ann['cert-manager.io/issuer']);
    if (!clusterIssuer && !issuer) return;
    const certRt = ctx.maybeRt('cert-manager.io/certificates');
    if (!certRt) return;
    const ns = owner.metadata.namespace ?? '';
    const bySecret = new Map<string, Set<string>>();
    for (const s of secrets) {
      let set = bySecret.get(s.secret);
      if (!set) bySecret.set(s.secret, (set = new Set()));
      for (const h of s.hosts) set.add(h);
    }
    for (const [secret, hosts] of bySecret) {
      const spec: JsonObject = {
        dnsNames: [...hosts],
        secretName: secret,
        issuerRef: {
          name: clusterIssuer ?? issuer,
          kind: clusterIssuer ? 'ClusterIssuer' : (str(ann['cert-manager.io/issuer-kind']) ?? 'Issuer'),
          group: str(ann['cert-manager.io/issuer-group']) ?? 'cert-manager.io',
        },
        usages: ['digital signature', 'key encipherment'],
      };
      const existing = ctx.store.get(certRt, ns, secret);
      if (!existing) {
        try {
          ctx.storage.create(
            certRt,
            ns,
            { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: secret, namespace: ns, ownerReferences: [ownerRefTo(owner)] }, spec },
            { internal: true, fieldManager: 'cert-manager-ingress-shim' },
          );
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 409 || err.code === 403))) throw err;
        }
      } else if (arr(existing.metadata.ownerReferences).some((r) => obj(r).uid === owner.metadata.uid) && !deepEqual(obj(existing.spec).dnsNames, spec.dnsNames)) {
        ctx.storage.mutate(certRt, ns, secret, (draft) => {
          draft.spec = { ...obj(draft.spec), ...spec };
        }, { fieldManager: 'cert-manager-ingress-shim' });
      }
    }
  }
}
