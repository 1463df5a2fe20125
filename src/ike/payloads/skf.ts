/**
 * Encrypted and Authenticated Fragment payload, SKF (RFC 7383 §2.5). In the first fragment the Next Payload field
 * names the first inner payload; in the others it is 0. Fragment Number and Total Fragments are covered by the ICV
 * (they are part of the AAD, with the generic header and the IKE header).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Initialization Vector                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Encrypted content                        ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Reader, Writer } from '../../common/bytes.ts';

/** Size of the Fragment Number and Total Fragments fields, which belong to the AAD. */
export const SKF_FIELDS_LENGTH = 4;

export interface SkfBody {
  /** Fragment Number, 1-based. */
  number: number;
  /** Total Fragments. */
  total: number;
  /** IV ‖ ciphertext ‖ ICV. */
  sealed: Uint8Array;
}

export function encodeSkfFields(b: Pick<SkfBody, 'number' | 'total'>, w: Writer): void {
  w.u16(b.number).u16(b.total);
}

export function decodeSkf(r: Reader): SkfBody {
  const number = r.u16('fragmentNumber');
  const total = r.u16('totalFragments');
  if (total === 0) r.fail('totalFragments', 'Total Fragments is 0', 2);
  if (number === 0 || number > total) r.fail('fragmentNumber', `fragment ${number} of ${total}`, 0);
  return { number, total, sealed: r.bytes(r.remaining, 'sealed') };
}
