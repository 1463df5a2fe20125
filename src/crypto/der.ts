/**
 * Minimal DER (ITU-T X.690) building and reading for the few fixed key structures node:crypto needs from us
 * (PKCS#8 / SubjectPublicKeyInfo of RFC 3279 §2.3.3 Diffie-Hellman keys). Not a general ASN.1 library.
 */
import { Writer, concat } from '../common/bytes.ts';
import type { Reader } from '../common/bytes.ts';

export const DerTag = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, OID: 0x06, SEQUENCE: 0x30 } as const;

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const w = new Writer(4);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  w.u8(0x80 | bytes.length);
  for (const b of bytes) w.u8(b);
  return w.finish();
}

/** tag ‖ length ‖ content. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), lengthBytes(body.byteLength), body);
}

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped, sign octet added). */
export function derUint(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.byteLength - 1 && magnitude.at(i) === 0) i++;
  const m = magnitude.subarray(i);
  const high = (m.at(0) ?? 0) >= 0x80;
  return tlv(DerTag.INTEGER, high ? Uint8Array.of(0) : new Uint8Array(0), m.byteLength ? m : Uint8Array.of(0));
}

/** Reads a definite length (short form, or long form of 1 to 4 bytes) and returns a reader over that content. */
function readContent(r: Reader, field: string): Reader {
  const first = r.u8(`${field}.length`);
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) r.fail(`${field}.length`, `unsupported length form 0x${first.toString(16)}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + r.u8(`${field}.length`);
  }
  return r.sub(len, field);
}

/** Reads one TLV with the expected tag; returns a reader over its content. */
export function readTlv(r: Reader, tag: number, field: string): Reader {
  const t = r.u8(`${field}.tag`);
  if (t !== tag) r.fail(`${field}.tag`, `expected tag 0x${tag.toString(16)}, got 0x${t.toString(16)}`, r.offset - 1);
  return readContent(r, field);
}

/** Reads one TLV of any tag (for CHOICEs such as a DirectoryString); returns the tag and a reader over its content. */
export function readAnyTlv(r: Reader, field: string): { tag: number; body: Reader } {
  const tag = r.u8(`${field}.tag`);
  return { tag, body: readContent(r, field) };
}

/** Magnitude bytes of a non-negative INTEGER. */
export function readUint(r: Reader, field: string): Uint8Array {
  const c = readTlv(r, DerTag.INTEGER, field).rest(field);
  return c.byteLength > 1 && c.at(0) === 0 ? c.subarray(1) : c;
}
