// PersistentVolume controller (kube-sim-spec §12.9): dynamic provisioning for claims of known
// StorageClasses (Immediate, or WaitForFirstConsumer once a pod uses the claim), binding, online
// expansion, pvc-protection, and reclaim (Delete) of released volumes.

import { ApiError } from '../api/errors.ts';
import type { KubeObject, StoreEvent } from '../store/store.ts';
import { arr, isObject, obj, str, text } from '../util/json.ts';
import { parseQuantity } from '../util/quantity.ts';
import type { Controller, ControllerContext, Queue } from './manager.ts';
import { isPodActive, splitKey } from './util.ts';

const PROTECTION = 'kubernetes.io/pvc-protection';

function claimsOf(pod: KubeObject): string[] {
  return arr(obj(pod.spec).volumes)
    .map((v) => str(obj(obj(v).persistentVolumeClaim).claimName))
    .filter((c): c is string => c !== undefined);
}

export function volumeController(ctx: ControllerContext): Controller {
  const pvcRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/persistentvolumeclaims');
  const pvRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/persistentvolumes');
  const podRt = (): ReturnType<typeof ctx.rt> => ctx.rt('/pods');
  const scRt = (): ReturnType<typeof ctx.rt> => ctx.rt('storage.k8s.io/storageclasses');
  // namespace/claim -> pods using it
  const users = new Map<string, Set<string>>();
  const podClaims = new Map<string, string[]>();

  const trackPod = (pod: KubeObject, gone: boolean): string[] => {
    const ns = pod.metadata.namespace ?? '';
    const podKey = `${ns}/${pod.metadata.name}`;
    const before = podClaims.get(podKey) ?? [];
    for (const c of before) users.get(`${ns}/${c}`)?.delete(pod.metadata.name);
    const now = gone || !isPodActive(pod) ? [] : claimsOf(pod);
    for (const c of now) {
      let s = users.get(`${ns}/${c}`);
      if (!s) users.set(`${ns}/${c}`, (s = new Set()));
      s.add(pod.metadata.name);
    }
    if (now.length > 0) podClaims.set(podKey, now);
    else podClaims.delete(podKey);
    return [...new Set([...before, ...now])].map((c) => `${ns}/${c}`);
  };

  return {
    name: 'persistentvolume',
    onEvent(e: StoreEvent, queue: Queue) {
      if (e.rt.key === '/persistentvolumeclaims') {
        if (e.type !== 'DELETED') queue.add(`pvc:${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
        else {
          const pv = str(obj(e.object.spec).volumeName);
          if (pv) queue.add(`pv:${pv}`);
        }
        return;
      }
      if (e.rt.key === '/pods') {
        for (const k of trackPod(e.object, e.type === 'DELETED')) queue.add(`pvc:${k}`);
        return;
      }
      if (e.rt.key === '/persistentvolumes' && e.type !== 'DELETED') queue.add(`pv:${e.object.metadata.name}`);
    },
    resync(queue) {
      users.clear();
      podClaims.clear();
      for (const p of ctx.store.iterate(podRt())) trackPod(p, false);
      for (const c of ctx.store.iterate(pvcRt())) queue.add(`pvc:${c.metadata.namespace ?? ''}/${c.metadata.name}`);
      for (const v of ctx.store.iterate(pvRt())) queue.add(`pv:${v.metadata.name}`);
    },
    reconcile(key) {
      if (key.startsWith('pv:')) return reconcilePv(key.slice(3));
      const [ns, name] = splitKey(key.slice(4));
      const pvc = ctx.store.get(pvcRt(), ns, name);
      if (!pvc) return undefined;
      const inUse = (users.get(`${ns}/${name}`)?.size ?? 0) > 0;
      if (pvc.metadata.deletionTimestamp) {
        if (!inUse && arr(pvc.metadata.finalizers).includes(PROTECTION)) {
          ctx.storage.mutate(pvcRt(), ns, name, (draft) => {
            draft.metadata.finalizers = arr(draft.metadata.finalizers).filter((f) => f !== PROTECTION);
          }, { fieldManager: 'kube-controller-manager' });
        }
        return undefined;
      }
      if (!arr(pvc.metadata.finalizers).includes(PROTECTION)) {
        ctx.storage.mutate(pvcRt(), ns, name, (draft) => {
          draft.metadata.finalizers = [...arr(draft.metadata.finalizers).map(String), PROTECTION];
        }, { fieldManager: 'kube-controller-manager' });
      }
      const current = ctx.store.get(pvcRt(), ns, name) ?? pvc;
      const spec = obj(current.spec);
      const status = obj(current.status);
      const request = str(obj(obj(spec.resources).requests).storage) ?? '1Gi';
      if (status.phase === 'Bound') {
        // Online expansion when the class allows it.
        const capacity = str(obj(status.capacity).storage);
        if (capacity && parseQuantity(request) > parseQuantity(capacity)) {
          const sc = str(spec.storageClassName) ? ctx.store.get(scRt(), '', String(spec.storageClassName)) : undefined;
          if (sc?.allowVolumeExpansion === true) {
            ctx.storage.writeStatus(pvcRt(), ns, name, { ...status, capacity: { ...obj(status.capacity), storage: request } }, { fieldManager: 'kube-controller-manager' });
            const pvName = str(spec.volumeName);
            if (pvName) {
              ctx.storage.mutate(pvRt(), '', pvName, (draft) => {
                draft.spec = { ...obj(draft.spec), capacity: { storage: request } };
              }, { fieldManager: 'kube-controller-manager' });
            }
            ctx.events.record(current, 'Normal', 'FileSystemResizeSuccessful', `MountVolume.NodeExpandVolume succeeded for volume "${pvName ?? ''}"`, 'kubelet');
          }
        }
        return undefined;
      }
      const scName = str(spec.storageClassName);
      if (!scName) return undefined;
      const sc = ctx.store.get(scRt(), '', scName);
      if (!sc) {
        ctx.events.record(current, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${scName}" not found`, 'persistentvolume-controller');
        return 5000;
      }
      if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !inUse) {
        ctx.events.record(current, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding', 'persistentvolume-controller');
        return undefined;
      }
      const provisioner = str(sc.provisioner) ?? 'sim.satusky.dev/provisioner';
      const pvName = `pvc-${current.metadata.uid}`;
      if (!ctx.store.get(pvRt(), '', pvName)) {
        try {
          ctx.storage.create(
            pvRt(),
            '',
            {
              apiVersion: 'v1',
              kind: 'PersistentVolume',
              metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner, 'volume.kubernetes.io/provisioner-deletion-secret-name': '', 'volume.kubernetes.io/provisioner-deletion-secret-namespace': '' }, finalizers: ['kubernetes.io/pv-protection'] },
              spec: {
                accessModes: arr(spec.accessModes),
                capacity: { storage: request },
                claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: current.metadata.uid, resourceVersion: current.metadata.resourceVersion },
                csi: { driver: provisioner, fsType: 'ext4', volumeHandle: `0001-0009-sim-${current.metadata.uid}` },
                persistentVolumeReclaimPolicy: str(sc.reclaimPolicy) ?? 'Delete',
                storageClassName: scName,
                volumeMode: str(spec.volumeMode) ?? 'Filesystem',
              },
            },
            { internal: true, fieldManager: 'csi-provisioner' },
          );
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 409)) throw err;
        }
        ctx.events.record(current, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`, `${provisioner}_sim-provisioner`);
      }
      const pv = ctx.store.get(pvRt(), '', pvName);
      if (pv) ctx.storage.writeStatus(pvRt(), '', pvName, { phase: 'Bound', lastPhaseTransitionTime: obj(pv.status).lastPhaseTransitionTime ?? new Date(ctx.now()).toISOString().replace(/\.\d+Z$/, 'Z') }, { fieldManager: 'kube-controller-manager' });
      ctx.storage.mutate(pvcRt(), ns, name, (draft) => {
        draft.spec = { ...obj(draft.spec), volumeName: pvName };
        draft.metadata.annotations = {
          ...obj(draft.metadata.annotations),
          'pv.kubernetes.io/bind-completed': 'yes',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'volume.beta.kubernetes.io/storage-provisioner': provisioner,
          'volume.kubernetes.io/storage-provisioner': provisioner,
        };
      }, { fieldManager: 'kube-controller-manager' });
      ctx.storage.writeStatus(pvcRt(), ns, name, { phase: 'Bound', accessModes: arr(spec.accessModes), capacity: { storage: request } }, { fieldManager: 'kube-controller-manager' });
      return undefined;
    },
  };

  function reconcilePv(name: string): number | undefined {
    const pv = ctx.store.get(pvRt(), '', name);
    if (!pv) return undefined;
    const claim = obj(obj(pv.spec).claimRef);
    const bound = claim.name ? ctx.store.get(pvcRt(), text(claim.namespace ?? ''), text(claim.name)) : undefined;
    const claimGone = claim.name !== undefined && (!bound || bound.metadata.uid !== claim.uid);
    if (pv.metadata.deletionTimestamp) {
      if (!bound && arr(pv.metadata.finalizers).includes('kubernetes.io/pv-protection')) {
        ctx.storage.mutate(pvRt(), '', name, (draft) => {
          draft.metadata.finalizers = arr(draft.metadata.finalizers).filter((f) => f !== 'kubernetes.io/pv-protection');
        }, { fieldManager: 'kube-controller-manager' });
      }
      return undefined;
    }
    if (claimGone) {
      if (obj(pv.spec).persistentVolumeReclaimPolicy === 'Delete') {
        try {
          ctx.storage.delete(pvRt(), '', name, {});
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      } else if (obj(pv.status).phase !== 'Released') {
        ctx.storage.writeStatus(pvRt(), '', name, { ...obj(pv.status), phase: 'Released' }, { fieldManager: 'kube-controller-manager' });
      }
    } else if (!claim.name && obj(pv.status).phase !== 'Available') {
      ctx.storage.writeStatus(pvRt(), '', name, { ...obj(pv.status), phase: 'Available' }, { fieldManager: 'kube-controller-manager' });
    }
    void isObject;
    return undefined;
  }
}
