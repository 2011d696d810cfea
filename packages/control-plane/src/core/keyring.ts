import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption with AES-256-GCM. The keyring holds master keys by id; the first is the
 * active one (new seals), the others stay readable until everything sealed with them has been
 * re-sealed (rotation). A sealed value names the key that sealed it:
 *
 *   `v1.<keyId>.<iv b64url>.<ciphertext+tag b64url>`
 *
 * The optional associated data binds a ciphertext to its context (an org id, a column), so a value
 * copied to another row fails to open instead of decrypting under the wrong owner.
 */
export interface Keyring {
  readonly activeKeyId: string;
  seal(plaintext: Buffer | string, associatedData?: string): string;
  open(sealed: string, associatedData?: string): Buffer;
  keyIdOf(sealed: string): string;
}

export function keyIdFor(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function generateMasterKey(): Buffer {
  return randomBytes(32);
}

export function createKeyring(masterKeys: Buffer[]): Keyring {
  if (masterKeys.length === 0) throw new Error('the keyring needs at least one master key');
  const keys = new Map<string, Buffer>();
  for (const key of masterKeys) {
    if (key.length !== 32) throw new Error('master keys must be 32 bytes');
    keys.set(keyIdFor(key), key);
  }
  const activeKeyId = keyIdFor(masterKeys[0]!);

  return {
    activeKeyId,
    seal(plaintext, associatedData) {
      const key = keys.get(activeKeyId)!;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return ['v1', activeKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, associatedData) {
      const [version, keyId, ivText, bodyText] = sealed.split('.');
      if (version !== 'v1' || !keyId || !ivText || !bodyText) throw new Error('not a sealed value');
      const key = keys.get(keyId);
      if (!key) throw new Error(`sealed with unknown key ${keyId}`);
      const body = Buffer.from(bodyText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    },
    keyIdOf(sealed) {
      return sealed.split('.')[1] ?? '';
    },
  };
}
