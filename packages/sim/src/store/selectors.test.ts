import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, selectorFromObject } from './selectors.ts';

describe('label selectors', () => {
  it('parses the full grammar, including what kubectl encodes', () => {
    const sel = parseLabelSelector('app=web,tier==front,env!=prod,zone in (a, b),role notin (db),canary,!legacy');
    expect(matchesLabels(sel, { app: 'web', tier: 'front', env: 'dev', zone: 'b', role: 'api', canary: '' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'front', env: 'dev', zone: 'c', role: 'api', canary: '' })).toBe(false);
    expect(matchesLabels(sel, { app: 'web', tier: 'front', env: 'dev', zone: 'a', role: 'api', canary: '', legacy: 'x' })).toBe(false);
    expect(matchesLabels(parseLabelSelector(new URLSearchParams('labelSelector=z+in+%281%2C2%29').get('labelSelector')), { z: '2' })).toBe(true);
  });

  it('round-trips formatted selectors', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const req = fc.oneof(
      fc.record({ op: fc.constant('eq' as const), key, value: key }),
      fc.record({ op: fc.constant('neq' as const), key, value: key }),
      fc.record({ op: fc.constant('in' as const), key, values: fc.array(key, { minLength: 1, maxLength: 3 }) }),
      fc.record({ op: fc.constant('exists' as const), key }),
      fc.record({ op: fc.constant('notexists' as const), key }),
    );
    fc.assert(fc.property(fc.array(req, { maxLength: 4 }), (sel) => {
      expect(parseLabelSelector(formatSelector(sel))).toEqual(sel);
    }));
  });

  it('converts LabelSelector objects', () => {
    const sel = selectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] });
    expect(formatSelector(sel ?? [])).toBe('app=web,tier in (a)');
  });
});

describe('field selectors', () => {
  it('supports metadata fields everywhere and kind-specific fields for built-ins', () => {
    const reqs = parseFieldSelector('metadata.name=web,status.phase!=Failed', 'Pod', true);
    expect(matchesFields(reqs, { metadata: { name: 'web' }, status: { phase: 'Running' } })).toBe(true);
    expect(() => parseFieldSelector('spec.nodeName=x', 'ConfigMap', true)).toThrow('field label not supported: spec.nodeName');
    expect(() => parseFieldSelector('spec.x=y', 'Widget', false)).toThrow('field label not supported: spec.x');
  });
});
