import { describe, expect, it } from 'vitest';
import { createKeyring, generateMasterKey } from './keyring.ts';
import { isReservedSlug, namespaceForSlug, slugify, DNS1123_LABEL } from './names.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { REDACTED, redactChanges } from './redact.ts';
import { generateToken, hashToken, isWellFormedToken, tokenHint, TOKEN_PREFIX } from './tokens.ts';

describe('API tokens', () => {
  it('carry the sat_ prefix, 36 base62 characters and a valid checksum', () => {
    const token = generateToken();
    expect(token).toMatch(/^sat_[0-9A-Za-z]{36}$/);
    expect(isWellFormedToken(token)).toBe(true);
  });

  it('are rejected when any character is changed (checksum)', () => {
    const token = generateToken();
    for (const i of [TOKEN_PREFIX.length, TOKEN_PREFIX.length + 10, token.length - 1]) {
      const c = token[i] === 'a' ? 'b' : 'a';
      expect(isWellFormedToken(token.slice(0, i) + c + token.slice(i + 1))).toBe(false);
    }
    expect(isWellFormedToken(`${token}x`)).toBe(false);
    expect(isWellFormedToken(token.replace('sat_', 'sak_'))).toBe(false);
  });

  it('never repeat and hash to a stable hex digest that is not the token', () => {
    const tokens = new Set(Array.from({ length: 500 }, generateToken));
    expect(tokens.size).toBe(500);
    const [first] = tokens;
    expect(hashToken(first!)).toBe(hashToken(first!));
    expect(hashToken(first!)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHint(first!)).toBe(`sat_…${first!.slice(-4)}`);
  });
});

describe('keyring (AES-256-GCM envelope)', () => {
  it('opens what it sealed, bound to its associated data', () => {
    const keyring = createKeyring([generateMasterKey()]);
    const sealed = keyring.seal('hunter2', 'org:1');
    expect(sealed).not.toContain('hunter2');
    expect(keyring.open(sealed, 'org:1').toString()).toBe('hunter2');
    expect(() => keyring.open(sealed, 'org:2')).toThrow();
  });

  it('keeps old keys readable after rotation and seals with the new one', () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const before = createKeyring([oldKey]).seal('v');
    const rotated = createKeyring([newKey, oldKey]);
    expect(rotated.open(before).toString()).toBe('v');
    expect(rotated.keyIdOf(rotated.seal('v'))).toBe(rotated.activeKeyId);
    expect(rotated.keyIdOf(before)).not.toBe(rotated.activeKeyId);
    expect(() => createKeyring([newKey]).open(before)).toThrow(/unknown key/);
  });

  it('detects tampering', () => {
    const keyring = createKeyring([generateMasterKey()]);
    const sealed = keyring.seal('payload');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => keyring.open(parts.join('.'))).toThrow();
  });
});

describe('passwords', () => {
  it('verify only the right password and store no plaintext', async () => {
    const password = generatePassword();
    expect(password).toHaveLength(20);
    const hash = await hashPassword(password);
    expect(hash).not.toContain(password);
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await verifyPassword(`${password}x`, hash)).toBe(false);
    expect(await verifyPassword(password, 'garbage')).toBe(false);
  });
});

describe('names', () => {
  it('derive DNS-1123 slugs from display names', () => {
    expect(slugify('Acme Corp')).toBe('acme-corp');
    expect(slugify('  Ünïcode & Co.  ')).toBe('unicode-co');
    expect(slugify('A')).toBe('a-org');
    expect(slugify('!!!')).toBe('org');
    expect(slugify('x'.repeat(80))).toHaveLength(40);
    for (const name of ['Acme Corp', 'a', '---', 'Zürich Ops', `${'ab-'.repeat(30)}`]) {
      expect(slugify(name)).toMatch(DNS1123_LABEL);
    }
  });

  it('reserve platform and Kubernetes names and prefix namespaces', () => {
    expect(isReservedSlug('kube-system')).toBe(true);
    expect(isReservedSlug('satusky-system')).toBe(true);
    expect(isReservedSlug('default')).toBe(true);
    expect(isReservedSlug('acme')).toBe(false);
    expect(namespaceForSlug('acme')).toBe('org-acme');
  });
});

describe('audit redaction', () => {
  it('replaces secret-looking values at any depth', () => {
    const redacted = redactChanges({
      name: 'ci',
      token: 'sat_x',
      nested: { password: 'p', keep: 1, list: [{ secret: 's', ok: true }] },
    });
    expect(redacted).toEqual({
      name: 'ci',
      token: REDACTED,
      nested: { password: REDACTED, keep: 1, list: [{ secret: REDACTED, ok: true }] },
    });
  });
});
