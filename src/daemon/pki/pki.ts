/**
 * A small X.509 authority for test beds and `attestd pki` (RFC 5280 profiles): self-signed CAs, intermediate CAs and
 * end-entity certificates for IKEv2 peers, built with @peculiar/x509 over node's WebCrypto. Keys are exported as
 * PEM PKCS#8, certificates as PEM. Signatures: RSA → sha256WithRSAEncryption (PKCS#1 v1.5), ECDSA P-256 → SHA-256,
 * P-384 → SHA-384, Ed25519 → pure Ed25519 (RFC 8410).
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '../../common/errors.ts';
import { x509 } from '../../common/x509.ts';

export const KEY_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

type WebKeyPair = Awaited<ReturnType<typeof webcrypto.subtle.generateKey>> & {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
};

/** A certificate with its private key. */
export interface Issued {
  keyType: KeyType;
  cert: x509.X509Certificate;
  /** PEM "CERTIFICATE". */
  certPem: string;
  certDer: Uint8Array;
  /** PEM "PRIVATE KEY" (unencrypted PKCS#8). */
  keyPem: string;
  /** The private key as node:crypto sees it. */
  privateKey: KeyObject;
  /** For signing further certificates. */
  readonly webKey: webcrypto.CryptoKey;
}

export interface CreateCaOptions {
  /** Distinguished name, e.g. `C=CH, O=strongSwan, CN=strongSwan Root CA` (see parseSubject). */
  subject: string;
  keyType?: KeyType;
  /** Validity in days from `now` (default 3650). */
  days?: number;
  /** Start of validity (default: now minus one hour, to allow for clock skew). */
  now?: Date;
  /** Path length constraint (basicConstraints pathLenConstraint); default none. */
  pathLen?: number;
}

export interface IssueCertOptions {
  ca: Issued;
  subject: string;
  keyType?: KeyType;
  /** subjectAltNames: DNS names, IP addresses, e-mail addresses (`user@host`); or `dns:`, `ip:`, `email:`, `uri:`. */
  san?: string[];
  days?: number;
  now?: Date;
  /** Extended key usage id-kp-serverAuth (default false). */
  serverAuth?: boolean;
  /** Extended key usage id-kp-clientAuth (default false). */
  clientAuth?: boolean;
  /** Issue an intermediate CA certificate instead of an end-entity one. */
  isCa?: boolean;
  pathLen?: number;
}

/** X.500 attribute types accepted in subjects (RFC 4519 short names; strongSwan's names on the left). */
const RDN_TYPES: Record<string, string> = {
  C: 'C',
  ST: 'ST',
  L: 'L',
  O: 'O',
  OU: 'OU',
  CN: 'CN',
  DC: 'DC',
  E: 'E',
  EMAIL: 'E',
  EMAILADDRESS: 'E',
  SN: 'SN',
  G: 'G',
  GN: 'G',
  T: 'T',
  SERIALNUMBER: 'serialNumber',
  UID: 'UID',
};

/**
 * Parses a distinguished name written as strongSwan and OpenSSL do: `C=CH, O=strongSwan, CN=moon` (comma or
 * semicolon separated, first RDN first) or `/C=CH/O=strongSwan/CN=moon`. `\,` escapes a comma. Returns the RDNs in
 * order as [type, value] pairs.
 */
export function parseSubject(s: string): [string, string][] {
  const text = s.trim();
  if (!text) throw new ConfigError('empty subject');
  const slash = text.startsWith('/');
  const parts: string[] = [];
  let cur = '';
  for (let i = slash ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) cur += text[++i];
    else if (slash ? c === '/' : c === ',' || c === ';') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(`subject '${s}': expected TYPE=value, found '${p.trim()}'`);
    const type = RDN_TYPES[p.slice(0, eq).trim().toUpperCase()];
    if (!type) throw new ConfigError(`subject '${s}': unknown attribute type '${p.slice(0, eq).trim()}'`);
    const value = p.slice(eq + 1).trim();
    if (!value) throw new ConfigError(`subject '${s}': empty value for ${type}`);
    return [type, value];
  });
}

const toName = (s: string): x509.Name => new x509.Name(parseSubject(s).map(([t, v]) => ({ [t]: [v] })));

function algorithms(keyType: KeyType): {
  gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm;
  sign: webcrypto.Algorithm | webcrypto.EcdsaParams;
} {
  switch (keyType) {
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096': {
      const gen = {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(keyType.slice(4)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
      return { gen, sign: { name: 'RSASSA-PKCS1-v1_5' } };
    }
    case 'ecdsa-p256':
      return {
        gen: { name: 'ECDSA', namedCurve: 'P-256' },
        sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
      };
    case 'ecdsa-p384':
      return {
        gen: { name: 'ECDSA', namedCurve: 'P-384' },
        sign: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams,
      };
    case 'ed25519':
      return { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } };
  }
}

async function generate(keyType: KeyType): Promise<WebKeyPair> {
  if (!KEY_TYPES.includes(keyType))
    throw new ConfigError(`unknown key type '${String(keyType)}' (${KEY_TYPES.join(', ')})`);
  return (await webcrypto.subtle.generateKey(algorithms(keyType).gen, true, ['sign', 'verify'])) as WebKeyPair;
}

function generalName(s: string): { type: 'dns' | 'ip' | 'email' | 'url'; value: string } {
  const m = /^(dns|ip|email|uri):(.*)$/i.exec(s);
  if (m) {
    const kind = m[1]!.toLowerCase();
    const value = m[2]!;
    if (kind === 'ip' && !isIP(value)) throw new ConfigError(`subjectAltName '${s}': not an IP address`);
    return { type: kind === 'uri' ? 'url' : (kind as 'dns' | 'ip' | 'email'), value };
  }
  if (isIP(s)) return { type: 'ip', value: s };
  if (s.includes('@')) return { type: 'email', value: s };
  if (!/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(s))
    throw new ConfigError(`subjectAltName '${s}': not a DNS name, IP or e-mail address`);
  return { type: 'dns', value: s };
}

const serial = (): string => {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, non-zero first byte (RFC 5280 §4.1.2.2: at most 20 octets)
  return b.toString('hex');
};

const validity = (now: Date | undefined, days: number | undefined) => {
  const notBefore = new Date((now ?? new Date(Date.now() - 3600_000)).getTime());
  notBefore.setMilliseconds(0);
  const notAfter = new Date(notBefore.getTime() + (days ?? 3650) * 86400_000);
  return { notBefore, notAfter };
};

async function finish(keyType: KeyType, keys: WebKeyPair, cert: x509.X509Certificate): Promise<Issued> {
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const withNewline = (pem: string) => (pem.endsWith('\n') ? pem : pem + '\n');
  const keyPem = withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
  return {
    keyType,
    cert,
    certPem: withNewline(cert.toString('pem')),
    certDer: new Uint8Array(cert.rawData),
    keyPem,
    privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
    webKey: keys.privateKey,
  };
}

/** An issuing CA rebuilt from its certificate and private key (the PEM files `attestd pki ca` writes). */
export function importCa(cert: x509.X509Certificate, key: KeyObject): Issued {
  let keyType: KeyType;
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    keyType = bits >= 4096 ? 'rsa-4096' : bits >= 3072 ? 'rsa-3072' : 'rsa-2048';
  } else if (type === 'ec') {
    keyType = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ecdsa-p384' : 'ecdsa-p256';
  } else if (type === 'ed25519') {
    keyType = 'ed25519';
  } else {
    throw new ConfigError(`unsupported CA key type ${type}`);
  }
  return {
    keyType,
    cert,
    certPem: cert.toString('pem'),
    certDer: new Uint8Array(cert.rawData),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey: key,
    webKey: key.toCryptoKey(algorithms(keyType).gen, false, ['sign']) as unknown as webcrypto.CryptoKey,
  };
}

/** A self-signed root CA (basicConstraints CA:TRUE critical, keyCertSign + cRLSign, SKI). */
export async function createCa(opts: CreateCaOptions): Promise<Issued> {
  const keyType = opts.keyType ?? 'ecdsa-p256';
  const keys = await generate(keyType);
  const name = toName(opts.subject);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: name,
    issuer: name,
    ...validity(opts.now, opts.days),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: algorithms(keyType).sign,
    extensions: [
      new x509.BasicConstraintsExtension(true, opts.pathLen, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return finish(keyType, keys, cert);
}

/** A certificate signed by `ca`: end entity (digitalSignature, SANs, EKUs) or, with `isCa`, an intermediate CA. */
export async function issueCert(opts: IssueCertOptions): Promise<Issued> {
  const keyType = opts.keyType ?? 'ecdsa-p256';
  const keys = await generate(keyType);
  const isRsa = keyType.startsWith('rsa');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.isCa ?? false, opts.isCa ? opts.pathLen : undefined, true),
    new x509.KeyUsagesExtension(
      opts.isCa
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(opts.ca.cert.publicKey),
  ];
  const eku: string[] = [];
  if (opts.serverAuth) eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.clientAuth) eku.push(x509.ExtendedKeyUsage.clientAuth);
  if (eku.length) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
  if (opts.san?.length) extensions.push(new x509.SubjectAlternativeNameExtension(opts.san.map(generalName), false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: toName(opts.subject),
    issuer: opts.ca.cert.subjectName,
    ...validity(opts.now, opts.days),
    publicKey: keys.publicKey,
    signingKey: opts.ca.webKey,
    signingAlgorithm: algorithms(opts.ca.keyType).sign,
    extensions,
  });
  return finish(keyType, keys, cert);
}

export interface Chain {
  root: Issued;
  /** Intermediate CAs, root side first. */
  intermediates: Issued[];
  leaf: Issued;
}

/**
 * A chain root → `depth` intermediate CAs → end entity, with RSA-4096 intermediates by default: large CERT payloads
 * for IKE fragmentation tests (RFC 7383).
 */
export async function certChain(
  depth: number,
  opts: { leafSubject?: string; san?: string[]; keyType?: KeyType; leafKeyType?: KeyType; days?: number } = {},
): Promise<Chain> {
  const keyType = opts.keyType ?? 'rsa-4096';
  const root = await createCa({ subject: 'C=CH, O=attestd test, CN=Root CA', keyType, days: opts.days });
  const intermediates: Issued[] = [];
  let issuer = root;
  for (let i = 1; i <= depth; i++) {
    issuer = await issueCert({
      ca: issuer,
      subject: `C=CH, O=attestd test, CN=Intermediate CA ${i}`,
      keyType,
      isCa: true,
      days: opts.days,
    });
    intermediates.push(issuer);
  }
  const leaf = await issueCert({
    ca: issuer,
    subject: opts.leafSubject ?? 'C=CH, O=attestd test, CN=leaf.example',
    san: opts.san ?? ['leaf.example'],
    keyType: opts.leafKeyType ?? 'ecdsa-p256',
    serverAuth: true,
    clientAuth: true,
    days: opts.days,
  });
  return { root, intermediates, leaf };
}
