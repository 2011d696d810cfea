// Pod Security admission, `restricted` (and `baseline`) profile, kept small: the checks that the
// control plane's rendered workloads must pass, with the apiserver's message shapes.
// Real message: pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ...

import { arr, isObject, obj, str, type JsonObject } from '../util/json.ts';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

export function namespaceLevel(labels: unknown, mode: 'enforce' | 'warn' | 'audit'): PodSecurityLevel | undefined {
  const v = obj(labels)[`pod-security.kubernetes.io/${mode}`];
  return v === 'restricted' || v === 'baseline' || v === 'privileged' ? v : undefined;
}

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

function containers(spec: JsonObject): JsonObject[] {
  return [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)].filter(isObject);
}

function plural(names: string[], singular: string): string {
  return names.length === 1 ? singular : `${singular}s`;
}

/** Returns the violations of a pod spec against a level, each as "<check> (<detail>)". */
export function podSecurityViolations(podSpec: unknown, podMetadata: unknown, level: PodSecurityLevel): string[] {
  if (level === 'privileged') return [];
  const spec = obj(podSpec);
  const psc = obj(spec.securityContext);
  const all = containers(spec);
  const out: string[] = [];

  // baseline checks
  const hostNs: string[] = [];
  if (spec.hostNetwork === true) hostNs.push('hostNetwork=true');
  if (spec.hostPID === true) hostNs.push('hostPID=true');
  if (spec.hostIPC === true) hostNs.push('hostIPC=true');
  if (hostNs.length > 0) out.push(`host namespaces (${hostNs.join(', ')})`);
  const privileged = all.filter((c) => obj(c.securityContext).privileged === true).map((c) => String(c.name));
  if (privileged.length > 0) out.push(`privileged (${plural(privileged, 'container')} ${quoteList(privileged)} must not set securityContext.privileged=true)`);
  const hostPathVols = arr(spec.volumes).filter((v) => isObject(v) && v.hostPath !== undefined).map((v) => String(obj(v).name));
  if (hostPathVols.length > 0) out.push(`hostPath volumes (${plural(hostPathVols, 'volume')} ${quoteList(hostPathVols)})`);
  const hostPorts: string[] = [];
  for (const c of all) for (const p of arr(c.ports)) if (isObject(p) && typeof p.hostPort === 'number' && p.hostPort !== 0) hostPorts.push(`${c.name as string}`);
  if (hostPorts.length > 0) out.push(`hostPort (${plural(hostPorts, 'container')} ${quoteList(hostPorts)} must not set hostPort)`);
  const baselineCaps = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
  const allowedAdd = level === 'restricted' ? new Set(['NET_BIND_SERVICE']) : baselineCaps;
  if (level === 'baseline') {
    const bad: string[] = [];
    for (const c of all) {
      const add = arr(obj(obj(c.securityContext).capabilities).add).map(String);
      if (add.some((a) => !allowedAdd.has(a))) bad.push(String(c.name));
    }
    if (bad.length > 0) out.push(`non-default capabilities (${plural(bad, 'container')} ${quoteList(bad)} must not include capabilities beyond the default set)`);
    return out;
  }

  // restricted checks, in the order the apiserver reports them
  const ape = all.filter((c) => obj(c.securityContext).allowPrivilegeEscalation !== false).map((c) => String(c.name));
  if (ape.length > 0) {
    out.push(`allowPrivilegeEscalation != false (${plural(ape, 'container')} ${quoteList(ape)} must set securityContext.allowPrivilegeEscalation=false)`);
  }
  const noDrop: string[] = [];
  const badAdd: string[] = [];
  for (const c of all) {
    const caps = obj(obj(c.securityContext).capabilities);
    if (!arr(caps.drop).map(String).includes('ALL')) noDrop.push(String(c.name));
    if (arr(caps.add).map(String).some((a) => !allowedAdd.has(a))) badAdd.push(String(c.name));
  }
  if (noDrop.length > 0 || badAdd.length > 0) {
    const parts: string[] = [];
    if (noDrop.length > 0) parts.push(`${plural(noDrop, 'container')} ${quoteList(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
    if (badAdd.length > 0) parts.push(`${plural(badAdd, 'container')} ${quoteList(badAdd)} must not include capabilities in securityContext.capabilities.add beyond ["NET_BIND_SERVICE"]`);
    out.push(`unrestricted capabilities (${parts.join('; ')})`);
  }
  const restrictedVolumes = arr(spec.volumes)
    .filter(isObject)
    .filter((v) => !['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'].some((t) => v[t] !== undefined))
    .map((v) => String(v.name));
  if (restrictedVolumes.length > 0) out.push(`restricted volume types (${plural(restrictedVolumes, 'volume')} ${quoteList(restrictedVolumes)} must use an allowed volume type)`);

  const podNonRoot = psc.runAsNonRoot === true;
  const nonRootBad = all.filter((c) => {
    const v = obj(c.securityContext).runAsNonRoot;
    return v === false || (v !== true && !podNonRoot);
  });
  if (psc.runAsNonRoot === false || nonRootBad.length > 0) {
    const names = nonRootBad.map((c) => String(c.name));
    if (psc.runAsNonRoot === false) out.push('runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)');
    else if (!podNonRoot && names.length === all.length) {
      out.push(`runAsNonRoot != true (pod or ${plural(names, 'container')} ${quoteList(names)} must set securityContext.runAsNonRoot=true)`);
    } else {
      out.push(`runAsNonRoot != true (${plural(names, 'container')} ${quoteList(names)} must not set securityContext.runAsNonRoot=false)`);
    }
  }
  const rootUsers = all.filter((c) => obj(c.securityContext).runAsUser === 0).map((c) => String(c.name));
  if (psc.runAsUser === 0 || rootUsers.length > 0) {
    out.push(
      psc.runAsUser === 0
        ? 'runAsUser=0 (pod must not set runAsUser=0)'
        : `runAsUser=0 (${plural(rootUsers, 'container')} ${quoteList(rootUsers)} must not set runAsUser=0)`,
    );
  }
  const seccompOk = (v: unknown): boolean => {
    const t = str(obj(v).type);
    return t === 'RuntimeDefault' || t === 'Localhost';
  };
  const podSeccomp = psc.seccompProfile;
  const podSeccompSet = podSeccomp !== undefined;
  if (podSeccompSet && !seccompOk(podSeccomp)) {
    out.push(`seccompProfile (pod must not set securityContext.seccompProfile.type to "${str(obj(podSeccomp).type) ?? ''}")`);
  } else {
    const bad = all.filter((c) => {
      const cs = obj(c.securityContext).seccompProfile;
      if (cs !== undefined) return !seccompOk(cs);
      return !podSeccompSet;
    });
    if (bad.length > 0) {
      const names = bad.map((c) => String(c.name));
      const explicitBad = bad.filter((c) => obj(c.securityContext).seccompProfile !== undefined);
      if (explicitBad.length === 0 && names.length === all.length) {
        out.push(`seccompProfile (pod or ${plural(names, 'container')} ${quoteList(names)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`);
      } else {
        out.push(`seccompProfile (${plural(names, 'container')} ${quoteList(names)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`);
      }
    }
  }
  void podMetadata;
  return out;
}

export function violationMessage(level: PodSecurityLevel, violations: string[]): string {
  return `violates PodSecurity "${level}:latest": ${violations.join(', ')}`;
}

/** The `Warning` header text for workloads whose pods would be rejected. */
export function warningMessage(level: PodSecurityLevel, violations: string[]): string {
  return `would violate PodSecurity "${level}:latest": ${violations.join(', ')}`;
}
