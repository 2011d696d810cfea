/** Keys whose values never reach the audit log or the logs, whatever feature records them. */
const SECRET_KEY_PATTERN = /pass(word)?|secret|token|api[-_]?key|authorization|private[-_]?key|credential|^value$|^values$/i;

export const REDACTED = '[REDACTED]';

/** Deep copy of `changes` with the values of secret-looking keys replaced by "[REDACTED]". */
export function redactChanges(changes: Record<string, unknown>): Record<string, unknown> {
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > 8) return REDACTED;
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          SECRET_KEY_PATTERN.test(k) ? REDACTED : walk(v, depth + 1),
        ]),
      );
    }
    return value;
  };
  return walk(changes, 0) as Record<string, unknown>;
}

/** pino redact paths: credentials in headers and bodies never reach the logs. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-satusky-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-satusky-api-key"]',
  'headers.cookie',
  '*.token',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.initial_password',
  '*.secret',
  '*.value',
];
