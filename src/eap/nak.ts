/**
 * Legacy Nak (RFC 3748 §5.3.1), Response only: the type data lists the authentication types the peer desires, one
 * octet each; a single 0 means "none acceptable". Only sent in answer to a request of an authentication type
 * (4 and above) the peer does not do.
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Type = 3     | Desired Auth Type(s) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Reader } from '../common/bytes.ts';

export function encodeNak(types: readonly number[]): Uint8Array {
  const list = types.filter((t) => t >= 4 && t <= 0xff);
  return Uint8Array.from(list.length ? list : [0]);
}

/** The desired types, without the "none" marker 0. */
export function decodeNak(data: Uint8Array): number[] {
  const r = new Reader(data, 'eap.nak');
  if (r.remaining === 0) r.fail('types', 'empty Nak');
  const out: number[] = [];
  while (!r.done) {
    const t = r.u8('type');
    if (t !== 0) out.push(t);
  }
  return out;
}
