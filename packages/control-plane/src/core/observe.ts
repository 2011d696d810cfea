import { ANNOTATIONS, LABELS } from './render.ts';
import type { ObservationFact, WorkloadProblem } from './status.ts';

/** The parts of a Deployment and its Pods the observer reads (plain JSON or client-node models). */
export interface ObservedDeployment {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string };
}

export interface ObservedPod {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: unknown };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: { name?: string; ready?: boolean; restartCount?: number; state?: ContainerState; lastState?: ContainerState }[];
    initContainerStatuses?: { name?: string; state?: ContainerState }[];
  };
}

/** Waiting reasons that will not resolve without a new release. */
const FAILURE_WAITING = new Set(['ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CrashLoopBackOff', 'ErrImageNeverPull']);
const TRANSIENT_WAITING = new Set(['ErrImagePull', 'CreateContainerError', 'RunContainerError', 'ContainerCreating', 'PodInitializing']);

/**
 * What one cluster shows for one app, from its Deployment and the pods of the release it is rolling
 * out. Pure; the observer calls it on every relevant watch event.
 */
export function observeWorkload(deployment: ObservedDeployment | null, pods: readonly ObservedPod[], now: Date): ObservationFact {
  const problems = new Map<string, WorkloadProblem>();
  const add = (reason: string, message: string, pod: string, severity: WorkloadProblem['severity']) => {
    const existing = problems.get(reason);
    if (existing) {
      if (!existing.pods.includes(pod)) existing.pods.push(pod);
    } else {
      problems.set(reason, { reason, message, pods: [pod], severity });
    }
  };

  if (!deployment) {
    return {
      observedGeneration: null,
      releaseVersion: null,
      desiredReplicas: null,
      replicas: null,
      readyReplicas: null,
      updatedReplicas: null,
      availableReplicas: null,
      workload: { problems: [{ reason: 'WorkloadMissing', message: 'the Deployment does not exist in the cluster', pods: [], severity: 'transient' }], progressDeadlineExceeded: false },
      observedAt: now,
    };
  }

  const templateRelease = deployment.spec?.template?.metadata?.labels?.[LABELS.release] ?? null;
  const k8sGeneration = deployment.metadata?.generation ?? 0;
  const processed = (deployment.status?.observedGeneration ?? 0) >= k8sGeneration;
  const satuskyGeneration = Number(deployment.metadata?.annotations?.[ANNOTATIONS.generation] ?? NaN);
  const conditions = deployment.status?.conditions ?? [];
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const replicaFailure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure) add(replicaFailure.reason ?? 'ReplicaFailure', replicaFailure.message ?? 'pods cannot be created', 'replicaset', 'failure');

  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (templateRelease !== null && pod.metadata?.labels?.[LABELS.release] !== templateRelease) continue;
    const name = pod.metadata?.name ?? '?';
    for (const init of pod.status?.initContainerStatuses ?? []) {
      const waiting = init.state?.waiting;
      if (waiting?.reason && FAILURE_WAITING.has(waiting.reason)) add(waiting.reason, `init container ${init.name}: ${waiting.message ?? waiting.reason}`, name, 'failure');
    }
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      if (waiting?.reason) {
        const message = waiting.message ?? waiting.reason;
        if (FAILURE_WAITING.has(waiting.reason)) {
          // One restart can be a fluke; a crash loop that has restarted is not.
          const severity = waiting.reason === 'CrashLoopBackOff' && (container.restartCount ?? 0) < 1 ? 'transient' : 'failure';
          add(waiting.reason, waiting.reason === 'CrashLoopBackOff' ? `container ${container.name} keeps crashing (${container.restartCount ?? 0} restarts, last exit ${container.lastState?.terminated?.exitCode ?? '?'})` : message, name, severity);
        } else if (TRANSIENT_WAITING.has(waiting.reason)) {
          add(waiting.reason, message, name, 'transient');
        }
      } else if (container.state?.terminated && (container.restartCount ?? 0) > 0) {
        add('ContainerTerminated', `container ${container.name} exited with ${container.state.terminated.exitCode ?? '?'}`, name, 'transient');
      }
    }
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False') add(scheduled.reason ?? 'Unschedulable', scheduled.message ?? 'the pod cannot be scheduled', name, 'transient');
  }

  for (const problem of problems.values()) problem.pods.sort();
  return {
    observedGeneration: processed && Number.isFinite(satuskyGeneration) ? satuskyGeneration : null,
    releaseVersion: templateRelease === null ? null : Number(templateRelease),
    desiredReplicas: deployment.spec?.replicas ?? null,
    replicas: deployment.status?.replicas ?? 0,
    readyReplicas: deployment.status?.readyReplicas ?? 0,
    updatedReplicas: deployment.status?.updatedReplicas ?? 0,
    availableReplicas: deployment.status?.availableReplicas ?? 0,
    workload: {
      problems: [...problems.values()].sort((a, b) => (a.severity === b.severity ? a.reason.localeCompare(b.reason) : a.severity === 'failure' ? -1 : 1)),
      progressDeadlineExceeded: progressing?.reason === 'ProgressDeadlineExceeded',
    },
    observedAt: now,
  };
}
