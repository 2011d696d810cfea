// The world's root CA: generated once, kept in the data directory as world-root-ca.pem (the
// certificate, what clients trust) and world-root-ca.key, and the edges' default self-signed
// certificate (what a handshake gets when no listener has a certificate for the name).

import { createCertificateAuthority, issueLeaf, loadCertificateAuthority, type CertificateAuthority } from '@satusky/sim';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from '../util/net.ts';

export const ROOT_CA_FILE = 'world-root-ca.pem';
export const ROOT_CA_KEY_FILE = 'world-root-ca.key';
export const ROOT_CA_NAME = 'Satusky World Root CA';

async function readMaybe(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface RootCa {
  authority: CertificateAuthority;
  certificatePem: string;
  /** Path of the PEM certificate clients trust (in a temporary directory for in-memory worlds). */
  path: string;
  /** Removes the temporary directory of an in-memory world. */
  dispose(): Promise<void>;
}

/** Loads the root CA from `dataDir`, or creates (and, with a data directory, saves) it. */
export async function loadOrCreateRootCa(dataDir: string | undefined): Promise<RootCa> {
  if (dataDir) {
    const certPath = join(dataDir, ROOT_CA_FILE);
    const keyPath = join(dataDir, ROOT_CA_KEY_FILE);
    const [cert, key] = await Promise.all([readMaybe(certPath), readMaybe(keyPath)]);
    let authority: CertificateAuthority;
    if (cert && key) authority = await loadCertificateAuthority(cert, key);
    else {
      authority = await createCertificateAuthority(ROOT_CA_NAME, 3650);
      await atomicWrite(keyPath, authority.privateKeyPem, 0o600);
      await atomicWrite(certPath, authority.certificatePem);
    }
    return { authority, certificatePem: authority.certificatePem, path: certPath, dispose: async () => undefined };
  }
  const authority = await createCertificateAuthority(ROOT_CA_NAME, 3650);
  const dir = await mkdtemp(join(tmpdir(), 'satusky-world-ca-'));
  const path = join(dir, ROOT_CA_FILE);
  await atomicWrite(path, authority.certificatePem);
  return { authority, certificatePem: authority.certificatePem, path, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A self-signed certificate for the edges' default TLS context (handshakes succeed, verification fails). */
export async function selfSignedCertificate(commonName: string): Promise<{ key: string; cert: string }> {
  const leaf = await issueLeaf(undefined, { commonName, dnsNames: [commonName], notAfter: new Date(Date.now() + 3650 * 86_400_000) });
  return { key: leaf.privateKeyPem ?? '', cert: leaf.certificatePem };
}
