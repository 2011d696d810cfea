import fc from 'fast-check';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppNameSchema, HostnameSchema, SlugSchema, type AppSpec } from '@satusky/contracts';
import { DEFAULT_SPEC } from '../../src/core/app-spec.ts';
import { normalizeHostname } from '../../src/core/domains.ts';
import { isReservedSlug, namespaceForSlug, slugify } from '../../src/core/names.ts';
import { renderApp, renderNamespace, type KubeObject } from '../../src/core/render.ts';
import { authHeaders, createTenant, createTestApp, registerFakeCluster, type Tenant, type TestApp } from '../helpers.ts';
import { reportFigures, SEED, sized } from '../reliability/suite.ts';

/**
 * Our validators agree with Kubernetes' name rules (a straight port of apimachinery's
 * util/validation regexes) on a large generated corpus — valid names, near misses and noise:
 * app names are exactly DNS-1035 labels; org slugs are DNS-1123 labels (3–40) whose namespace is a
 * DNS-1123 label; custom hostnames, once normalised, are DNS-1123 subdomains that Gateway API
 * accepts; env keys are valid env var names and ConfigMap keys. Then every object rendered from
 * inputs the API accepts has a name, labels and hostnames a cluster accepts. Short: 12k generated
 * strings; full: 160k.
 */
const RUNS = sized(3_000, 40_000);

// ---- Kubernetes' rules (k8s.io/apimachinery/pkg/util/validation/validation.go) ----
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
/** Gateway API's Hostname (HTTPRoute.spec.hostnames). */
const GATEWAY_HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const k8s = {
  dns1123Label: (s: string) => s.length <= 63 && DNS1123_LABEL.test(s),
  dns1035Label: (s: string) => s.length <= 63 && DNS1035_LABEL.test(s),
  dns1123Subdomain: (s: string) => s.length <= 253 && s.split('.').every((l) => DNS1123_LABEL.test(l)),
  qualifiedName(s: string) {
    const parts = s.split('/');
    if (parts.length > 2) return false;
    const name = parts.at(-1)!;
    const prefix = parts.length === 2 ? parts[0]! : null;
    return name.length <= 63 && QUALIFIED_NAME.test(name) && (prefix === null || (prefix.length > 0 && k8s.dns1123Subdomain(prefix)));
  },
  labelValue: (s: string) => s.length <= 63 && LABEL_VALUE.test(s),
  envVarName: (s: string) => ENV_VAR_NAME.test(s) && s !== '.' && s !== '..' && !s.startsWith('..'),
  configMapKey: (s: string) => s.length <= 253 && CONFIG_MAP_KEY.test(s) && s !== '.' && s !== '..' && !s.startsWith('..'),
};

// ---- a corpus of names: valid ones, near misses, noise ----
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const chars = (alphabet: string, max: number) => fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength: max });
const label = fc.oneof(
  chars(LOWER, 70),
  chars(`${LOWER}ABCZ_.`, 70),
  fc.constantFrom('a', 'z', '0', '9', '-', 'a-', '-a', 'a--b', 'xn--bcher-kva', 'a'.repeat(63), 'a'.repeat(64), `${'a'.repeat(62)}-`, '1abc', 'abc1'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
/** Mutations that turn a valid name into a near miss. */
const nearMiss = fc.tuple(label, fc.nat(), fc.constantFrom('upper', 'dash-start', 'dash-end', 'dot', 'underscore', 'space', 'unicode', 'long', 'none')).map(([s, i, how]) => {
  const at = s.length ? i % s.length : 0;
  switch (how) {
    case 'upper':
      return s.slice(0, at) + s.charAt(at).toUpperCase() + s.slice(at + 1);
    case 'dash-start':
      return `-${s}`;
    case 'dash-end':
      return `${s}-`;
    case 'dot':
      return `${s.slice(0, at)}.${s.slice(at)}`;
    case 'underscore':
      return `${s.slice(0, at)}_${s.slice(at)}`;
    case 'space':
      return `${s} `;
    case 'unicode':
      return `${s.slice(0, at)}ı${s.slice(at)}`;
    case 'long':
      return s.padEnd(64, 'x');
    case 'none':
      return s;
  }
});
const name = fc.oneof(label, nearMiss);
const hostname = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('.')),
  fc.array(chars('abcdefghijklmnopqrstuvwxyz0123456789-', 63), { minLength: 2, maxLength: 5 }).map((ls) => ls.join('.')),
  fc.tuple(fc.array(chars('abcdefghij-', 63), { minLength: 2, maxLength: 6 }), fc.constantFrom('', '.')).map(([ls, dot]) => ls.join('.') + dot),
  fc.array(fc.constant('a'.repeat(63)), { minLength: 3, maxLength: 5 }).map((ls) => `${ls.join('.')}.com`),
  fc.constantFrom('Shop.Example.COM', 'shop.example.com.', 'example.com..', '.example.com', 'a.b', 'a.1b', '1.2.3.4', '*.example.com', 'xn--bcher-kva.example', '_acme.example.com'),
);

describe('validators agree with the Kubernetes name rules', () => {
  const checked: Record<string, number> = {};
  const count = (what: string) => (checked[what] = (checked[what] ?? 0) + 1);

  it('app names are exactly DNS-1035 labels', () => {
    fc.assert(
      fc.property(name, (s) => {
        count('app names');
        expect(Value.Check(AppNameSchema, s), JSON.stringify(s)).toBe(k8s.dns1035Label(s));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('org slugs are DNS-1123 labels of 3 to 40 characters, and their namespace is a DNS-1123 label', () => {
    fc.assert(
      fc.property(name, (s) => {
        count('org slugs');
        const accepted = Value.Check(SlugSchema, s);
        expect(accepted, JSON.stringify(s)).toBe(k8s.dns1123Label(s) && s.length >= 3 && s.length <= 40);
        if (accepted) expect(k8s.dns1123Label(namespaceForSlug(s))).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('slugs derived from any organization name are valid (reserved ones get a suffix)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'grapheme', maxLength: 60 }), name), (display) => {
        count('derived slugs');
        let slug = slugify(display);
        if (isReservedSlug(slug)) slug = `${slug}-org`;
        expect(k8s.dns1123Label(slug) && slug.length >= 3, `${JSON.stringify(display)} → ${slug}`).toBe(true);
        expect(k8s.dns1123Label(namespaceForSlug(slug))).toBe(true);
        expect(isReservedSlug(slug)).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('custom hostnames, normalised, are exactly the DNS-1123 subdomains of 2+ labels with a letter-first top label', () => {
    fc.assert(
      fc.property(hostname, (h) => {
        count('hostnames');
        const accepted = Value.Check(HostnameSchema, h);
        const n = /^[A-Za-z0-9.-]*$/.test(h) ? normalizeHostname(h) : h;
        const labels = n.split('.');
        // Kubernetes' subdomain rule, plus what DNS itself requires (labels of at most 63), at least two
        // labels, a top label starting with a letter (no bare addresses) and at least 4 characters as
        // typed (so "a.a." passes and "a.a" does not: a quirk of the schema, harmless for Kubernetes).
        const expected = h.length >= 4 && k8s.dns1123Subdomain(n) && labels.every((l) => l.length <= 63) && labels.length >= 2 && /^[a-z]/.test(labels.at(-1)!) && !/\.\.$/.test(h) && !h.startsWith('.');
        expect(accepted, JSON.stringify(h)).toBe(expected);
        if (accepted) expect(GATEWAY_HOSTNAME.test(n), n).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('renders objects a cluster accepts from every input the API accepts', () => {
    const validApp = fc.oneof(chars('abcdefghijklmnopqrstuvwxyz0123456789-', 63), fc.constant(`a${'-'.repeat(61)}z`), fc.constant('a'.repeat(63))).filter((s) => Value.Check(AppNameSchema, s));
    const validSlug = chars('abcdefghijklmnopqrstuvwxyz0123456789-', 40).filter((s) => Value.Check(SlugSchema, s));
    const validVolume = chars('abcdefghijklmnopqrstuvwxyz0123456789-', 40).filter((s) => /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(s));
    const validHost = hostname.filter((h) => Value.Check(HostnameSchema, h));
    fc.assert(
      fc.property(validApp, validSlug, validVolume, fc.array(validHost, { maxLength: 3 }), fc.boolean(), (appName, slug, volume, hosts, www) => {
        count('rendered apps');
        const spec: AppSpec = { ...DEFAULT_SPEC, image: 'ghcr.io/acme/app:1', volumes: [{ name: volume, size: '1Gi', mount_path: '/data' }], pdb: { min_available: 1 } };
        const namespace = namespaceForSlug(slug);
        const objects: KubeObject[] = [
          ...renderNamespace({ org: { id: '00000000-0000-4000-8000-000000000001', slug, namespace } }),
          ...renderApp({
            org: { id: '00000000-0000-4000-8000-000000000001', slug, namespace },
            app: { id: '00000000-0000-4000-8000-000000000002', name: appName, hostname: `${appName.slice(0, 50)}-abc123.satusky.test` },
            release: { version: 1, generation: 1, spec, secretKeys: ['DB_URL'], secretsVersion: 1, restartNonce: null },
            cluster: { zone: 'kul-1' },
            secrets: { DB_URL: 'x' },
            routing: {
              tls: true,
              ingressClass: 'nginx',
              domains: [...new Set(hosts.map(normalizeHostname))].map((h) => ({ hostname: h, routeKind: 'httproute' as const, wwwRedirect: www, ingressRetained: false })),
            },
          }),
        ];
        for (const o of objects) {
          const where = `${o.kind}/${o.metadata.name}`;
          const nameOk = o.kind === 'Service' ? k8s.dns1035Label(o.metadata.name) : o.kind === 'Namespace' ? k8s.dns1123Label(o.metadata.name) : k8s.dns1123Subdomain(o.metadata.name);
          expect(nameOk, `${where}: name`).toBe(true);
          if (o.metadata.namespace) expect(k8s.dns1123Label(o.metadata.namespace), `${where}: namespace`).toBe(true);
          for (const [key, value] of Object.entries(o.metadata.labels ?? {})) {
            expect(k8s.qualifiedName(key), `${where}: label key ${key}`).toBe(true);
            expect(k8s.labelValue(value), `${where}: label ${key}=${value}`).toBe(true);
          }
          for (const key of Object.keys(o.metadata.annotations ?? {})) expect(k8s.qualifiedName(key), `${where}: annotation ${key}`).toBe(true);
          if (o.kind === 'HTTPRoute') {
            for (const h of (o as unknown as { spec: { hostnames?: string[] } }).spec.hostnames ?? []) expect(GATEWAY_HOSTNAME.test(h) && h.length <= 253, `${where}: hostname ${h}`).toBe(true);
          }
          if (o.kind === 'ConfigMap' || o.kind === 'Secret') {
            for (const key of Object.keys((o as unknown as { data?: Record<string, string> }).data ?? {})) expect(k8s.configMapKey(key), `${where}: key ${key}`).toBe(true);
          }
          if (o.kind === 'Deployment') {
            const pod = (o as unknown as { spec: { template: { spec: { containers: { name: string; ports?: { name?: string }[] }[]; volumes?: { name: string }[] } } } }).spec.template.spec;
            for (const c of pod.containers) {
              expect(k8s.dns1123Label(c.name), `${where}: container ${c.name}`).toBe(true);
              for (const p of c.ports ?? []) if (p.name) expect(p.name.length <= 15 && /[a-z]/.test(p.name) && k8s.dns1123Label(p.name), `${where}: port ${p.name}`).toBe(true);
            }
            for (const v of pod.volumes ?? []) expect(k8s.dns1123Label(v.name), `${where}: volume ${v.name}`).toBe(true);
          }
        }
      }),
      { seed: SEED, numRuns: sized(300, 3_000) },
    );
  });

  afterAll(() => {
    reportFigures('names', { seed: SEED, runs_per_property: RUNS, checked, disagreements: 0 });
  });
});

describe('the API applies the same rules', () => {
  let t: TestApp;
  let a: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    a = await createTenant(t.database, 'names');
    await registerFakeCluster(t.database, t.deps.keyring, { zone: 'names-zone' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts exactly the DNS-1035 app names in the deploy route', async () => {
    const samples = fc.sample(fc.oneof(name, chars('abcdefghijklmnopqrstuvwxyz0123456789-', 63)), { seed: SEED, numRuns: sized(100, 1_500) });
    let accepted = 0;
    for (const s of new Set(samples)) {
      if (s === '' || !s.isWellFormed()) continue;
      const response = await t.app.inject({ method: 'PUT', url: `/v1/orgs/${a.orgId}/apps/${encodeURIComponent(s)}`, headers: authHeaders(a.token), payload: { image: 'ghcr.io/acme/app:1' } });
      const valid = k8s.dns1035Label(s);
      if (valid) accepted += 1;
      expect.soft(response.statusCode < 300, `${JSON.stringify(s)} → ${response.statusCode}`).toBe(valid);
      expect.soft(response.statusCode, JSON.stringify(s)).toBeLessThan(500);
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it('accepts only env and secret names that are valid env var names and ConfigMap keys, and every C identifier', async () => {
    const keys = fc.sample(fc.oneof(name, chars('ABCXYZabc_019.-=', 20), fc.constantFrom('', '.', '..', '..A', 'A=B', '1A', 'A-B', '_', 'a'.repeat(128), 'a'.repeat(129))), {
      seed: SEED,
      numRuns: sized(100, 1_500),
    });
    let accepted = 0;
    for (const [i, key] of [...new Set(keys)].entries()) {
      const env = await t.app.inject({ method: 'PUT', url: `/v1/orgs/${a.orgId}/apps/env-${i}`, headers: authHeaders(a.token), payload: { image: 'ghcr.io/acme/app:1', env: { [key]: 'v' } } });
      const secret = await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${a.orgId}/apps/sec-${i}/secrets`, headers: authHeaders(a.token), payload: { set: { [key]: 'v' } } });
      const cIdentifier = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(key);
      for (const [what, response] of [['env', env], ['secret', secret]] as const) {
        expect.soft(response.statusCode, `${what} ${JSON.stringify(key)}`).toBeLessThan(500);
        const ok = response.statusCode < 300;
        if (ok) {
          accepted += 1;
          expect.soft(k8s.envVarName(key) && k8s.configMapKey(key), `${what} ${JSON.stringify(key)} accepted but Kubernetes refuses it`).toBe(true);
        }
        if (cIdentifier) expect.soft(ok, `${what} ${JSON.stringify(key)} refused`).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(5);
  });
});
