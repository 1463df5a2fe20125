/**
 * Diameter-style AVPs inside the TTLS tunnel (RFC 5281 §10.1); we send and accept AVP 79 EAP-Message (§11.2.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           AVP Code                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V M r r r r r r|                  AVP Length                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Vendor-ID (only with V)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Data ...   (zero padding to a multiple of 4, not counted in AVP Length)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * AVP Length includes the header (8 octets, 12 with a Vendor-ID); shorter lengths are malformed. An unknown AVP with
 * M set must end the session (§10.1); one without M is skipped. EAP packets larger than one AVP may be split over
 * consecutive EAP-Message AVPs (RADIUS style); `eapMessages` joins them by the EAP Length.
 */
import { Reader, Writer, concat } from '../../common/bytes.ts';
import { ParseError, ProtocolError } from '../../common/errors.ts';
import { EAP_MAX_LENGTH } from '../packet.ts';

export const AvpCode = { EAP_MESSAGE: 79 } as const;
export const AvpFlag = { VENDOR: 0x80, MANDATORY: 0x40 } as const;

export interface Avp {
  code: number;
  flags: number;
  vendor?: number;
  data: Uint8Array;
}

/**
 * Largest AVP we accept: one whole EAP packet (≤ 65535) with a vendor header. The 24-bit length would allow 16 MiB;
 * capping it also bounds what a partial AVP can make us buffer across TLS records.
 */
export const MAX_AVP = EAP_MAX_LENGTH + 12;

export function encodeAvp(a: Avp): Uint8Array {
  const w = new Writer(12 + a.data.byteLength + 3);
  w.u32(a.code);
  const flags = a.vendor === undefined ? a.flags & ~AvpFlag.VENDOR : a.flags | AvpFlag.VENDOR;
  w.u8(flags);
  const header = a.vendor === undefined ? 8 : 12;
  w.u24(header + a.data.byteLength);
  if (a.vendor !== undefined) w.u32(a.vendor);
  w.bytes(a.data);
  w.zeros((4 - (a.data.byteLength % 4)) % 4);
  return w.finish();
}

export const eapMessageAvp = (eap: Uint8Array): Uint8Array =>
  encodeAvp({ code: AvpCode.EAP_MESSAGE, flags: AvpFlag.MANDATORY, data: eap });

/**
 * Decodes the complete AVPs at the start of `bytes`; returns them and the number of bytes consumed (an incomplete
 * trailing AVP is left for the next TLS record). Padding after the last AVP may be missing.
 */
export function decodeAvps(bytes: Uint8Array): { avps: Avp[]; used: number } {
  const r = new Reader(bytes, 'ttls.avp');
  const avps: Avp[] = [];
  let used = 0;
  while (r.remaining >= 8) {
    const start = r.offset;
    const code = r.u32('code');
    const flags = r.u8('flags');
    const length = r.u24('length');
    const header = flags & AvpFlag.VENDOR ? 12 : 8;
    if (length < header) r.fail('length', `AVP length ${length} is below its ${header}-byte header`, start + 5);
    if (length > MAX_AVP) r.fail('length', `AVP of ${length} bytes`, start + 5);
    if (r.remaining < length - 8) break;
    const vendor = flags & AvpFlag.VENDOR ? r.u32('vendor') : undefined;
    const data = r.copy(length - header, 'data');
    const pad = Math.min((4 - (length % 4)) % 4, r.remaining);
    r.skip(pad, 'padding');
    avps.push(vendor === undefined ? { code, flags, data } : { code, flags, vendor, data });
    used = r.offset;
  }
  return { avps, used };
}

/**
 * The EAP packets carried in a run of AVPs. Unknown mandatory AVPs are refused; non-mandatory ones skipped.
 */
export function eapMessages(avps: readonly Avp[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let partial: Uint8Array[] = [];
  let want = 0;
  let have = 0;
  for (const a of avps) {
    if (a.code !== AvpCode.EAP_MESSAGE || a.vendor !== undefined) {
      if (a.flags & AvpFlag.MANDATORY) throw new ProtocolError('TTLS', a.code, `unsupported mandatory AVP ${a.code}`);
      continue;
    }
    if (partial.length === 0) {
      if (a.data.byteLength < 4)
        throw new ParseError('EAP-Message AVP too short for an EAP header', 0, 'ttls.avp.data');
      const head = new Reader(a.data, 'ttls.avp.eap');
      head.skip(2, 'codeAndIdentifier');
      want = head.u16('length');
      have = 0;
    }
    partial.push(a.data);
    have += a.data.byteLength;
    if (have >= want) {
      out.push(concat(...partial));
      partial = [];
    }
  }
  if (partial.length) throw new ParseError('EAP packet split over AVPs is incomplete', 0, 'ttls.avp.data');
  return out;
}

/**
 * Tunnel plaintext to EAP packets across turns: an AVP cut off at the end of one turn's plaintext waits for the rest
 * (peer and server both read phase 2 this way).
 */
export class EapAvpReader {
  #rest: Uint8Array = new Uint8Array(0);

  /** Takes the plaintext of one turn; returns the EAP packets of the complete AVPs buffered so far. */
  push(plain: Uint8Array): Uint8Array[] {
    const buf = concat(this.#rest, plain);
    const { avps, used } = decodeAvps(buf);
    this.#rest = buf.slice(used);
    return eapMessages(avps);
  }
}
