/**
 * PEM or DER: credential files may be either. PEM is textual encoding (RFC 7468 §2): base64 between
 * `-----BEGIN <label>-----` and `-----END <label>-----`, possibly with explanatory text or headers (legacy
 * encrypted keys, `Proc-Type:`) around or inside. A file without such a block is taken for DER.
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface PemBlock {
  /** The label of the boundary lines, e.g. `CERTIFICATE`, `ENCRYPTED PRIVATE KEY`. */
  label: string;
  /** The whole block, boundary lines included (what node:crypto and @peculiar/x509 read as PEM). */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The first PEM block of `data` (with `label` when given); undefined when there is none, i.e. DER. */
export function findPem(data: Uint8Array | string, label?: string): PemBlock | undefined {
  const text = typeof data === 'string' ? data : new TextDecoder('latin1').decode(data);
  for (const m of text.matchAll(BLOCK)) {
    if (label === undefined || m[1] === label) return { label: m[1] as string, text: m[0] };
  }
  return undefined;
}

/** A public key from a PEM file (what node:crypto reads as PEM) or from DER SubjectPublicKeyInfo. */
export function parsePublicKey(data: Uint8Array): KeyObject {
  return findPem(data)
    ? createPublicKey(new TextDecoder('latin1').decode(data))
    : createPublicKey({ key: Buffer.from(data), format: 'der', type: 'spki' });
}
