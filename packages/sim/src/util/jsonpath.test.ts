import { describe, expect, it } from 'vitest';
import { evalJsonPath } from './jsonpath.ts';

describe('printer-column JSONPath', () => {
  const obj = { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Programmed', status: 'False' }], addresses: [{ value: '1.2.3.4' }, { value: '5.6.7.8' }] }, spec: { hostnames: ['a'] } };

  it('evaluates fields, indexes, wildcards and filters', () => {
    expect(evalJsonPath(obj, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(evalJsonPath(obj, '.status.conditions[?(@.type == "Programmed")].status')).toEqual(['False']);
    expect(evalJsonPath(obj, '.status.addresses[*].value')).toEqual(['1.2.3.4', '5.6.7.8']);
    expect(evalJsonPath(obj, '{.status.addresses[1].value}')).toEqual(['5.6.7.8']);
    expect(evalJsonPath(obj, '.spec.hostnames')).toEqual([['a']]);
    expect(evalJsonPath(obj, '.spec.missing')).toEqual([]);
  });
});
