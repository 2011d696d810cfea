import { describe, expect, it } from 'vitest';
import { podSecurityViolations, violationMessage } from './pod-security.ts';

const hardened = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

describe('Pod Security restricted profile', () => {
  it('accepts a hardened pod, with the pod-level settings inherited by containers', () => {
    const spec = { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'app', securityContext: hardened }] };
    expect(podSecurityViolations(spec, {}, 'restricted')).toEqual([]);
  });

  it('reports each violated check with the apiserver wording, naming all containers', () => {
    const spec = {
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        { name: 'a', securityContext: { ...hardened, runAsNonRoot: true } },
        { name: 'b', securityContext: { capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } },
        { name: 'c', securityContext: { ...hardened, runAsNonRoot: true, privileged: true } },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    };
    expect(violationMessage('restricted', podSecurityViolations(spec, {}, 'restricted'))).toBe(
      'violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), hostPath volumes (volume "host"), allowPrivilegeEscalation != false (container "b" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "b" must not include capabilities in securityContext.capabilities.add beyond ["NET_BIND_SERVICE"]), restricted volume types (volume "host" must use an allowed volume type), runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false)',
    );
  });

  it('applies only the baseline checks at baseline', () => {
    expect(podSecurityViolations({ containers: [{ name: 'app' }] }, {}, 'baseline')).toEqual([]);
    expect(podSecurityViolations({ hostNetwork: true, containers: [{ name: 'app' }] }, {}, 'baseline')).toEqual(['host namespaces (hostNetwork=true)']);
  });
});
