// The JSONPath subset used by CRD additionalPrinterColumns and the scale subresource:
// `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.type=="Ready")].status` (also `==` with spaces and `!=`).

import { isObject, text } from './json.ts';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: unknown };

const cache = new Map<string, Step[]>();

export function compileJsonPath(expr: string): Step[] {
  const hit = cache.get(expr);
  if (hit) return hit;
  let src = expr.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1);
  if (src.startsWith('$')) src = src.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      i++;
      let j = i;
      while (j < src.length && src[j] !== '.' && src[j] !== '[') j++;
      const name = src.slice(i, j);
      if (name === '*') steps.push({ kind: 'all' });
      else if (name) steps.push({ kind: 'field', name });
      i = j;
    } else if (c === '[') {
      const end = findClose(src, i);
      const inner = src.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const m = /^@((?:\.[\w.-]+)+)\s*(==|!=)\s*(.+)$/.exec(inner.slice(2, -1).trim());
        if (!m) throw new Error(`unsupported JSONPath filter: ${inner}`);
        const raw = (m[3] ?? '').trim();
        let value: unknown = raw;
        if (/^".*"$/.test(raw) || /^'.*'$/.test(raw)) value = raw.slice(1, -1);
        else if (raw === 'true' || raw === 'false') value = raw === 'true';
        else if (!Number.isNaN(Number(raw))) value = Number(raw);
        steps.push({ kind: 'filter', path: (m[1] ?? '').slice(1).split('.'), op: m[2] as '==' | '!=', value });
      } else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else throw new Error(`unsupported JSONPath segment: [${inner}]`);
    } else {
      let j = i;
      while (j < src.length && src[j] !== '.' && src[j] !== '[') j++;
      steps.push({ kind: 'field', name: src.slice(i, j) });
      i = j;
    }
  }
  cache.set(expr, steps);
  return steps;
}

function findClose(src: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unterminated JSONPath bracket in ${src}`);
}

/** Evaluates a JSONPath expression and returns every match, in document order. */
export function evalJsonPath(root: unknown, expr: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of compileJsonPath(expr)) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (isObject(v) && v[step.name] !== undefined) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.index < 0 ? v.length + step.index : step.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const el of v) {
              let cur: unknown = el;
              for (const p of step.path) cur = isObject(cur) ? cur[p] : undefined;
              const eq = cur === step.value || (cur !== undefined && text(cur) === text(step.value));
              if ((step.op === '==') === eq) next.push(el);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current;
}
