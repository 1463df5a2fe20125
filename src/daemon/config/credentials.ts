/**
 * Credentials from the swanctl directory (the directory of swanctl.conf), laid out as swanctl(8) expects:
 *
 *   x509/     end-entity certificates      x509ca/  CA certificates       pubkey/  raw public keys
 *   private/  private keys of any type     rsa/     RSA keys (PKCS#1)     ecdsa/   ECDSA keys (SEC1)
 *   pkcs8/    PKCS#8 keys
 *
 * Files are PEM or DER. Encrypted keys are opened with the passphrases of `secrets.<folder><suffix> { file, secret }`
 * whose `file` equals the name relative to the folder (load_creds.c decrypt_with_config). `certs = moon.pem` in an
 * auth round names a file in `x509/`, `cacerts` one in `x509ca/`; absolute paths and inline `0x…`/`0s…` DER blobs
 * are allowed as in load_conns.c.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from '../../common/errors.ts';
import { x509 } from '../../common/x509.ts';
import { findPem, parsePublicKey } from '../../crypto/pem.ts';
import { formatPos } from './settings.ts';
import { readSwanctl } from './swanctl.ts';
import type { AuthRound, KeyPassphrase, Secret, SwanctlConfig } from './types.ts';
import { decodeSecret } from './values.ts';

export interface PrivateKeyEntry {
  /** Path relative to the swanctl directory, e.g. `private/moon.pem`. */
  file: string;
  key: KeyObject;
  /** SubjectPublicKeyInfo DER of the matching public key. */
  publicKeyDer: Uint8Array;
}

export interface Credentials {
  dir: string;
  /** `x509/`: file name relative to the folder → certificate. */
  certs: Map<string, x509.X509Certificate>;
  /** `x509ca/`: file name relative to the folder → CA certificate. */
  cas: Map<string, x509.X509Certificate>;
  /** `pubkey/`: file name → public key. */
  pubkeys: Map<string, KeyObject>;
  privateKeys: PrivateKeyEntry[];
  /** The private key whose public key is the certificate's, if loaded. */
  findKeyFor(cert: x509.X509Certificate): PrivateKeyEntry | undefined;
  /** Resolves a `certs` entry (relative to x509/, absolute, or inline). */
  cert(ref: string): x509.X509Certificate;
  /** Resolves a `cacerts` entry (relative to x509ca/, absolute, or inline). */
  cacert(ref: string): x509.X509Certificate;
}

/** Regular files directly in a folder (load_creds.c: enumerator_create_directory + S_ISREG, no recursion), sorted. */
function listFiles(dir: string): string[] {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(dir)
    .sort()
    .filter((name) => statSync(join(dir, name), { throwIfNoEntry: false })?.isFile() ?? false);
}

/** A certificate from PEM (the first CERTIFICATE block) or DER bytes. */
export function parseCertificate(data: Uint8Array, what: string): x509.X509Certificate {
  try {
    const pem = findPem(data, 'CERTIFICATE');
    return new x509.X509Certificate(pem ? pem.text : new Uint8Array(data));
  } catch (e) {
    throw new ConfigError(`${what}: not an X.509 certificate (PEM or DER): ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A private key from PEM (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8 or legacy encrypted PEM) or DER (PKCS#8, PKCS#1,
 * SEC1, encrypted PKCS#8). `passphrases` are tried in order for encrypted keys.
 */
export function parsePrivateKey(data: Uint8Array, what: string, passphrases: string[] = []): KeyObject {
  const pem = findPem(data);
  const encrypted = pem
    ? pem.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem.text)
    : isEncryptedPkcs8Der(data);
  const attempts: ((pass: string | undefined) => KeyObject)[] = pem
    ? [(passphrase) => createPrivateKey({ key: pem.text, format: 'pem', passphrase })]
    : (['pkcs8', 'pkcs1', 'sec1'] as const).map(
        (type) => (passphrase) => createPrivateKey({ key: Buffer.from(data), format: 'der', type, passphrase }),
      );
  const tryAll = (passphrase: string | undefined): KeyObject | undefined => {
    for (const attempt of attempts) {
      try {
        return attempt(passphrase);
      } catch {
        // next format
      }
    }
    return undefined;
  };
  if (!encrypted) {
    const key = tryAll(undefined);
    if (key) return key;
    // DER under an encryption scheme the heuristic does not know: still try the passphrases below
    if (pem || !passphrases.length)
      throw new ConfigError(`${what}: not a private key (PEM or DER PKCS#1, SEC1, PKCS#8)`);
  }
  if (!passphrases.length) throw new ConfigError(`${what}: encrypted private key and no passphrase in secrets`);
  for (const pass of passphrases) {
    const key = tryAll(pass);
    if (key) return key;
  }
  throw new ConfigError(`${what}: no configured passphrase decrypts this key`);
}

/** EncryptedPrivateKeyInfo starts SEQUENCE { SEQUENCE { OID pkcs5PBES2 … } } (RFC 5958 §3); a heuristic on DER. */
function isEncryptedPkcs8Der(data: Uint8Array): boolean {
  const pbes2 = Buffer.from('06092a864886f70d01050d', 'hex');
  return Buffer.from(data.subarray(0, 32)).includes(pbes2);
}

/** Resolves a `certs`/`cacerts` entry like load_conns.c add_file_list_key. */
function resolveRef(
  dir: string,
  folder: string,
  ref: string,
  map: Map<string, x509.X509Certificate>,
): x509.X509Certificate {
  const lower = ref.slice(0, 2).toLowerCase();
  if (lower === '0x' || lower === '0s')
    return parseCertificate(decodeSecret(ref), `inline certificate ${ref.slice(0, 12)}…`);
  const cached = isAbsolute(ref) ? undefined : map.get(ref);
  if (cached) return cached;
  const path = isAbsolute(ref) ? ref : join(dir, folder, ref);
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (e) {
    throw new ConfigError(`certificate '${ref}': cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseCertificate(data, path);
}

/** Loads every credential of a swanctl directory; unreadable files become warnings, as swanctl reports and skips. */
export function loadCredentials(dir: string, secrets: Secret[] = [], warnings: string[] = []): Credentials {
  const certs = new Map<string, x509.X509Certificate>();
  const cas = new Map<string, x509.X509Certificate>();
  const pubkeys = new Map<string, KeyObject>();
  const privateKeys: PrivateKeyEntry[] = [];
  for (const [folder, map] of [
    ['x509', certs],
    ['x509ca', cas],
  ] as const)
    for (const f of listFiles(join(dir, folder))) {
      try {
        map.set(f, parseCertificate(readFileSync(join(dir, folder, f)), `${folder}/${f}`));
      } catch (e) {
        warnings.push(`${dir}: ${(e as Error).message}, skipped`);
      }
    }
  for (const f of listFiles(join(dir, 'pubkey'))) {
    try {
      pubkeys.set(f, parsePublicKey(readFileSync(join(dir, 'pubkey', f))));
    } catch (e) {
      warnings.push(`${dir}: pubkey/${f}: not a public key (${(e as Error).message}), skipped`);
    }
  }
  const passphrases = secrets.filter((s): s is KeyPassphrase => s.kind === 'passphrase');
  for (const folder of ['private', 'rsa', 'ecdsa', 'pkcs8'] as const)
    for (const f of listFiles(join(dir, folder))) {
      const pass = passphrases
        .filter((p) => p.type === folder && p.file.toLowerCase() === f.toLowerCase())
        .flatMap((p) => p.secrets);
      try {
        const key = parsePrivateKey(readFileSync(join(dir, folder, f)), `${folder}/${f}`, pass);
        const publicKeyDer = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
        privateKeys.push({ file: `${folder}/${f}`, key, publicKeyDer });
      } catch (e) {
        warnings.push(`${dir}: ${(e as Error).message}, skipped`);
      }
    }
  return {
    dir,
    certs,
    cas,
    pubkeys,
    privateKeys,
    findKeyFor(cert) {
      const pub = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
      return privateKeys.find((k) => createPublicKey(k.key).equals(pub));
    },
    cert: (ref) => resolveRef(dir, 'x509', ref, certs),
    cacert: (ref) => resolveRef(dir, 'x509ca', ref, cas),
  };
}

export interface LoadedSwanctl {
  config: SwanctlConfig;
  credentials: Credentials;
  warnings: string[];
}

/**
 * Reads swanctl.conf and the credentials of its directory, and checks that every `certs`/`cacerts` entry resolves
 * and that each local certificate has its private key.
 */
export function loadSwanctl(path: string): LoadedSwanctl {
  const { config, warnings } = readSwanctl(path);
  const credentials = loadCredentials(dirname(path), config.secrets, warnings);
  const where = (r: AuthRound) => (r.at ? formatPos(r.at) : path);
  for (const conn of config.connections)
    for (const [side, rounds] of [
      ['local', conn.local],
      ['remote', conn.remote],
    ] as const)
      for (const r of rounds) {
        const check = (ref: string, get: (ref: string) => x509.X509Certificate) => {
          try {
            return get(ref);
          } catch (e) {
            throw new ConfigError(`${where(r)}: connections.${conn.name}.${r.section}: ${(e as Error).message}`, {
              cause: e,
            });
          }
        };
        for (const ref of r.certs) {
          const cert = check(ref, credentials.cert);
          if (side === 'local' && r.auth === 'pubkey' && !credentials.findKeyFor(cert))
            warnings.push(
              `${where(r)}: connections.${conn.name}.${r.section}: no private key for certificate '${ref}' (${cert.subject})`,
            );
        }
        for (const ref of r.cacerts) check(ref, credentials.cacert);
      }
  return { config, credentials, warnings };
}
