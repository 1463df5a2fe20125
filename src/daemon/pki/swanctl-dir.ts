/**
 * Writes generated credentials in the swanctl directory layout (swanctl(8)): CA certificates in `x509ca/`, the host
 * certificate in `x509/<name>.pem`, its key (PEM PKCS#8, mode 0600) in `private/<name>.pem`, intermediate CA
 * certificates in `x509/` as well (charon then sends them with the end-entity certificate).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Issued } from './pki.ts';

export interface SwanctlDirFiles {
  /** `x509ca/…` paths, relative to the directory (usable as `cacerts = …` without the folder). */
  cacerts: string[];
  /** `x509/<name>.pem` (use `certs = <name>.pem`). */
  cert: string;
  /** `private/<name>.pem`. */
  key: string;
  /** `x509/<name>-intermediate-<i>.pem`. */
  intermediates: string[];
}

export interface SwanctlDirContent {
  /** Trust anchors (root CAs); written as `x509ca/<name>-ca.pem` (or `-ca-<i>` when several). */
  ca: Issued | Issued[];
  /** The host credential: an Issued or its PEM parts. */
  host: Issued | { cert: string; key: string };
  /** Base file name, e.g. `moon`. */
  name: string;
  intermediates?: Issued[];
  /** Optional swanctl.conf text written next to the folders. */
  conf?: string;
}

export function writeSwanctlDir(dir: string, content: SwanctlDirContent): SwanctlDirFiles {
  for (const f of ['x509', 'x509ca', 'private'])
    mkdirSync(join(dir, f), { recursive: true, mode: f === 'private' ? 0o700 : 0o755 });
  const cas = Array.isArray(content.ca) ? content.ca : [content.ca];
  const cacerts = cas.map((ca, i) => {
    const rel = `x509ca/${content.name}-ca${cas.length > 1 ? `-${i + 1}` : ''}.pem`;
    writeFileSync(join(dir, rel), ca.certPem);
    return rel;
  });
  const intermediates = (content.intermediates ?? []).map((ca, i) => {
    const rel = `x509/${content.name}-intermediate-${i + 1}.pem`;
    writeFileSync(join(dir, rel), ca.certPem);
    return rel;
  });
  const host = 'certPem' in content.host ? { cert: content.host.certPem, key: content.host.keyPem } : content.host;
  const cert = `x509/${content.name}.pem`;
  const key = `private/${content.name}.pem`;
  writeFileSync(join(dir, cert), host.cert);
  writeFileSync(join(dir, key), host.key, { mode: 0o600 });
  if (content.conf !== undefined) writeFileSync(join(dir, 'swanctl.conf'), content.conf);
  return { cacerts, cert, key, intermediates };
}
