// X.509 material for the simulator, made with @peculiar/x509 over WebCrypto (ECDSA P-256 unless a
// Certificate asks for RSA): the per-cluster CA, the apiserver's serving certificate, and the
// certificates the cert-manager simulator issues.

// tsyringe (used by @peculiar/x509) needs the Reflect metadata API before x509 loads.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// @peculiar/x509 is typed against the DOM's WebCrypto; Node's implementation is the same API.
type DomCrypto = Parameters<typeof x509.cryptoProvider.set>[0];

x509.cryptoProvider.set(webcrypto as unknown as DomCrypto);

const subtle = webcrypto.subtle;

export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const RSA_ALG = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;

export type KeyAlgorithm = 'ECDSA' | 'RSA';

export interface KeyPairPem {
  keys: CryptoKeyPair;
  privateKeyPem: string;
}

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  certificatePem: string;
  keys: CryptoKeyPair;
  privateKeyPem: string;
}

/** PEM blocks end with a newline, so bundles can be concatenated. */
function nl(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f;
  return b.toString('hex');
}

function algFor(a: KeyAlgorithm): typeof EC_ALG | typeof RSA_ALG {
  return a === 'RSA' ? RSA_ALG : EC_ALG;
}

export async function generateKeyPair(algorithm: KeyAlgorithm = 'ECDSA'): Promise<KeyPairPem> {
  const keys = (await subtle.generateKey(algFor(algorithm), true, ['sign', 'verify']));
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, privateKeyPem: nl(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')) };
}

/** Imports a PKCS#8 PEM private key (ECDSA P-256 or RSA) together with its certificate's public key. */
export async function importKeyPair(privateKeyPem: string, certificatePem: string): Promise<CryptoKeyPair> {
  const cert = new x509.X509Certificate(certificatePem);
  const der = x509.PemConverter.decodeFirst(privateKeyPem);
  const isRsa = cert.publicKey.algorithm.name.startsWith('RSA');
  const alg = isRsa ? RSA_ALG : EC_ALG;
  const privateKey = await subtle.importKey('pkcs8', der, alg, true, ['sign']);
  const publicKey = await cert.publicKey.export(alg, ['verify'], webcrypto as unknown as DomCrypto);
  return { privateKey, publicKey };
}

export async function createCertificateAuthority(commonName: string, validityDays = 3650): Promise<CertificateAuthority> {
  const { keys, privateKeyPem } = await generateKeyPair('ECDSA');
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + validityDays * 86_400_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    signingAlgorithm: EC_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, certificatePem: nl(certificate.toString('pem')), keys, privateKeyPem };
}

export async function loadCertificateAuthority(certificatePem: string, privateKeyPem: string): Promise<CertificateAuthority> {
  const keys = await importKeyPair(privateKeyPem, certificatePem);
  return { certificate: new x509.X509Certificate(certificatePem), certificatePem: nl(certificatePem), keys, privateKeyPem: nl(privateKeyPem) };
}

export interface LeafOptions {
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
  notBefore?: Date;
  notAfter: Date;
  /** Public key of the subject; a fresh key pair is generated when absent. */
  publicKey?: CryptoKey;
  keyAlgorithm?: KeyAlgorithm;
  serverAuth?: boolean;
  clientAuth?: boolean;
  isCA?: boolean;
}

export interface IssuedLeaf {
  certificate: x509.X509Certificate;
  certificatePem: string;
  privateKeyPem?: string;
}

function sans(o: { dnsNames?: string[]; ipAddresses?: string[]; uris?: string[] }): x509.JsonGeneralName[] {
  return [
    ...(o.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })),
    ...(o.ipAddresses ?? []).filter((v) => isIP(v) !== 0).map((v) => ({ type: 'ip' as const, value: v })),
    ...(o.uris ?? []).map((v) => ({ type: 'url' as const, value: v })),
  ];
}

/** Signs a certificate with a CA (or self-signs when `ca` is undefined and the key pair is given). */
export async function issueLeaf(ca: CertificateAuthority | undefined, o: LeafOptions, selfKeys?: CryptoKeyPair): Promise<IssuedLeaf> {
  let publicKey = o.publicKey;
  let privateKeyPem: string | undefined;
  let keys = selfKeys;
  if (!publicKey && !keys) {
    const generated = await generateKeyPair(o.keyAlgorithm ?? 'ECDSA');
    keys = generated.keys;
    privateKeyPem = generated.privateKeyPem;
  }
  publicKey ??= keys?.publicKey;
  if (!publicKey) throw new Error('no public key for the certificate');
  const names = sans(o);
  const usages = [];
  if (o.serverAuth !== false) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (o.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(o.isCA === true, undefined, true),
    new x509.KeyUsagesExtension(
      o.isCA ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
  if (usages.length > 0 && !o.isCA) extensions.push(new x509.ExtendedKeyUsageExtension(usages, false));
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, !o.commonName));
  const subject = o.commonName ? `CN=${o.commonName}` : '';
  const notBefore = o.notBefore ?? new Date(Date.now() - 60_000);
  let certificate: x509.X509Certificate;
  if (ca) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey));
    certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.certificate.subject,
      notBefore,
      notAfter: o.notAfter,
      signingAlgorithm: ca.keys.privateKey.algorithm.name === 'ECDSA' ? EC_ALG : RSA_ALG,
      publicKey,
      signingKey: ca.keys.privateKey,
      extensions,
    });
  } else {
    if (!keys) throw new Error('self-signed certificates need the key pair');
    certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: subject || `CN=${o.dnsNames?.[0] ?? 'satusky-sim'}`,
      notBefore,
      notAfter: o.notAfter,
      signingAlgorithm: keys.privateKey.algorithm.name === 'ECDSA' ? EC_ALG : RSA_ALG,
      keys,
      extensions,
    });
  }
  return { certificate, certificatePem: nl(certificate.toString('pem')), ...(privateKeyPem ? { privateKeyPem } : {}) };
}

export async function createCsr(keys: CryptoKeyPair, o: { commonName?: string; dnsNames?: string[]; ipAddresses?: string[]; uris?: string[] }): Promise<string> {
  const names = sans(o);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(o.commonName ? { name: `CN=${o.commonName}` } : {}),
    keys,
    signingAlgorithm: keys.privateKey.algorithm.name === 'ECDSA' ? EC_ALG : RSA_ALG,
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return nl(csr.toString('pem'));
}

/** The public key and SANs a PEM CSR asks for (what an issuer needs to sign it). */
export async function parseCsr(pem: string): Promise<{ publicKey: CryptoKey; commonName?: string; dnsNames: string[]; ipAddresses: string[]; uris: string[] }> {
  const csr = new x509.Pkcs10CertificateRequest(pem);
  const alg = csr.publicKey.algorithm.name.startsWith('RSA') ? RSA_ALG : EC_ALG;
  const publicKey = await csr.publicKey.export(alg, ['verify'], webcrypto as unknown as DomCrypto);
  const san = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  const items: x509.JsonGeneralName[] = san ? san.names.toJSON() : [];
  const cn = csr.subjectName.getField('CN')[0];
  return {
    publicKey,
    ...(cn ? { commonName: cn } : {}),
    dnsNames: items.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: items.filter((n) => n.type === 'ip').map((n) => n.value),
    uris: items.filter((n) => n.type === 'url').map((n) => n.value),
  };
}

export function parseCertificate(pem: string): { notBefore: Date; notAfter: Date; dnsNames: string[]; subject: string; issuer: string } {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    dnsNames: san ? san.names.toJSON().filter((n: x509.JsonGeneralName) => n.type === 'dns').map((n: x509.JsonGeneralName) => n.value) : [],
    subject: cert.subject,
    issuer: cert.issuer,
  };
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(nl);
}
