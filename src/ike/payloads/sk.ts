/**
 * Encrypted and Authenticated payload, SK (RFC 7296 §3.14; AEAD layout in RFC 5282 §3). The Next Payload field
 * of its generic header names the first payload inside. It MUST be the last payload of a message.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * |         (length is block size for encryption algorithm)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The body (IV ‖ ciphertext ‖ ICV) is opaque here; SkCrypto seals and opens it. The AAD is every byte of the
 * message before the IV: the IKE header and the SK generic header with their final lengths.
 */
import type { Reader, Writer } from '../../common/bytes.ts';

/** The SK payload body: IV ‖ encrypted payloads, padding and pad length ‖ ICV. */
export interface SkBody {
  sealed: Uint8Array;
}

export function encodeSk(b: SkBody, w: Writer): void {
  w.bytes(b.sealed);
}

export function decodeSk(r: Reader): SkBody {
  return { sealed: r.bytes(r.remaining, 'sealed') };
}
