// Built-in resource types served by the simulated apiserver (kube-sim-spec §13 plus the types the
// control plane renders into org namespaces).

import { defineResource, SUB_VERBS, type ResourceType } from './registry.ts';

const ns = true;
const cluster = false;

export function builtinResources(): ResourceType[] {
  return [
    // core/v1
    defineResource({
      group: '',
      versions: ['v1'],
      resource: 'namespaces',
      kind: 'Namespace',
      namespaced: cluster,
      shortNames: ['ns'],
      status: true,
      returnsDeletedObject: true,
      extraSubresources: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
    }),
    defineResource({ group: '', versions: ['v1'], resource: 'nodes', kind: 'Node', namespaced: cluster, shortNames: ['no'], status: true }),
    defineResource({
      group: '',
      versions: ['v1'],
      resource: 'pods',
      kind: 'Pod',
      namespaced: ns,
      shortNames: ['po'],
      categories: ['all'],
      status: true,
      returnsDeletedObject: true,
      extraSubresources: [
        { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
      ],
    }),
    defineResource({ group: '', versions: ['v1'], resource: 'services', kind: 'Service', namespaced: ns, shortNames: ['svc'], categories: ['all'], status: true, returnsDeletedObject: true }),
    defineResource({ group: '', versions: ['v1'], resource: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: ns, shortNames: ['ep'] }),
    defineResource({ group: '', versions: ['v1'], resource: 'configmaps', kind: 'ConfigMap', namespaced: ns, shortNames: ['cm'] }),
    defineResource({ group: '', versions: ['v1'], resource: 'secrets', kind: 'Secret', namespaced: ns }),
    defineResource({ group: '', versions: ['v1'], resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: ns, shortNames: ['sa'], returnsDeletedObject: true }),
    defineResource({ group: '', versions: ['v1'], resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: ns, shortNames: ['pvc'], status: true, returnsDeletedObject: true }),
    defineResource({ group: '', versions: ['v1'], resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: cluster, shortNames: ['pv'], status: true, returnsDeletedObject: true }),
    defineResource({ group: '', versions: ['v1'], resource: 'events', kind: 'Event', namespaced: ns, shortNames: ['ev'] }),
    defineResource({ group: '', versions: ['v1'], resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: ns, shortNames: ['quota'], status: true }),
    defineResource({ group: '', versions: ['v1'], resource: 'limitranges', kind: 'LimitRange', namespaced: ns, shortNames: ['limits'] }),
    // apps/v1
    defineResource({
      group: 'apps',
      versions: ['v1'],
      resource: 'deployments',
      kind: 'Deployment',
      namespaced: ns,
      shortNames: ['deploy'],
      categories: ['all'],
      status: true,
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
      tracksGeneration: true,
    }),
    defineResource({
      group: 'apps',
      versions: ['v1'],
      resource: 'replicasets',
      kind: 'ReplicaSet',
      namespaced: ns,
      shortNames: ['rs'],
      categories: ['all'],
      status: true,
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
      tracksGeneration: true,
    }),
    // autoscaling, policy
    defineResource({ group: 'autoscaling', versions: ['v2'], resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: ns, shortNames: ['hpa'], categories: ['all'], status: true }),
    defineResource({ group: 'policy', versions: ['v1'], resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: ns, shortNames: ['pdb'], status: true, tracksGeneration: true }),
    // networking.k8s.io/v1
    defineResource({ group: 'networking.k8s.io', versions: ['v1'], resource: 'ingresses', kind: 'Ingress', namespaced: ns, shortNames: ['ing'], status: true, tracksGeneration: true }),
    defineResource({ group: 'networking.k8s.io', versions: ['v1'], resource: 'ingressclasses', kind: 'IngressClass', namespaced: cluster }),
    defineResource({ group: 'networking.k8s.io', versions: ['v1'], resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: ns, shortNames: ['netpol'], tracksGeneration: true }),
    // discovery.k8s.io/v1
    defineResource({ group: 'discovery.k8s.io', versions: ['v1'], resource: 'endpointslices', kind: 'EndpointSlice', namespaced: ns }),
    // storage.k8s.io/v1
    defineResource({ group: 'storage.k8s.io', versions: ['v1'], resource: 'storageclasses', kind: 'StorageClass', namespaced: cluster, shortNames: ['sc'], returnsDeletedObject: true }),
    // coordination.k8s.io/v1
    defineResource({ group: 'coordination.k8s.io', versions: ['v1'], resource: 'leases', kind: 'Lease', namespaced: ns }),
    // rbac (stored only)
    defineResource({ group: 'rbac.authorization.k8s.io', versions: ['v1'], resource: 'roles', kind: 'Role', namespaced: ns }),
    defineResource({ group: 'rbac.authorization.k8s.io', versions: ['v1'], resource: 'rolebindings', kind: 'RoleBinding', namespaced: ns }),
    defineResource({ group: 'rbac.authorization.k8s.io', versions: ['v1'], resource: 'clusterroles', kind: 'ClusterRole', namespaced: cluster }),
    defineResource({ group: 'rbac.authorization.k8s.io', versions: ['v1'], resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: cluster }),
    // apiextensions + admissionregistration
    defineResource({
      group: 'apiextensions.k8s.io',
      versions: ['v1'],
      resource: 'customresourcedefinitions',
      kind: 'CustomResourceDefinition',
      namespaced: cluster,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      status: true,
      tracksGeneration: true,
    }),
    defineResource({
      group: 'admissionregistration.k8s.io',
      versions: ['v1'],
      resource: 'validatingadmissionpolicies',
      kind: 'ValidatingAdmissionPolicy',
      namespaced: cluster,
      categories: ['api-extensions'],
      status: true,
      tracksGeneration: true,
    }),
    defineResource({
      group: 'admissionregistration.k8s.io',
      versions: ['v1'],
      resource: 'validatingadmissionpolicybindings',
      kind: 'ValidatingAdmissionPolicyBinding',
      namespaced: cluster,
      categories: ['api-extensions'],
      tracksGeneration: true,
    }),
    // authorization.k8s.io (kubectl auth can-i)
    defineResource({
      group: 'authorization.k8s.io',
      versions: ['v1'],
      resource: 'selfsubjectaccessreviews',
      kind: 'SelfSubjectAccessReview',
      namespaced: cluster,
      verbs: ['create'],
    }),
    // metrics.k8s.io (aggregated, computed on read)
    defineResource({
      group: 'metrics.k8s.io',
      versions: ['v1beta1'],
      resource: 'pods',
      singular: '',
      kind: 'PodMetrics',
      namespaced: ns,
      verbs: ['get', 'list'],
      source: 'aggregated',
      virtual: true,
    }),
    defineResource({
      group: 'metrics.k8s.io',
      versions: ['v1beta1'],
      resource: 'nodes',
      singular: '',
      kind: 'NodeMetrics',
      namespaced: cluster,
      verbs: ['get', 'list'],
      source: 'aggregated',
      virtual: true,
    }),
  ];
}

export { SUB_VERBS };
