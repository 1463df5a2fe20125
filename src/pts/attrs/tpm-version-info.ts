/**
 * TCG PTS TPM Version Information (PTS IF-M Binding §3.11), type 0x09000000: opaque version info (TPM 1.2:
 * TPM_CAP_VERSION_INFO). For TPM 2.0, strongSwan sends its own 16-byte form, decoded here as `tpm2` when it fits:
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       0x0200 (TPM 2.0)        |   Reserved    |   Locality    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Revision (TPM_PT_REVISION)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Year (TPM_PT_YEAR)                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Vendor (TPM_PT_MANUFACTURER)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The locality is the startup locality the verifier seeds PCR 0 with (3 by default, 0 for Intel PTT).
 * strongSwan requires at least 4 bytes.
 */
import { Reader, Writer } from '../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export const TPM2_VERSION_INFO_MAGIC = 0x0200;
export const TPM2_VERSION_INFO_SIZE = 16;

export interface Tpm2VersionInfo {
  locality: number;
  revision: number;
  year: number;
  vendor: number;
}

export interface TcgPtsTpmVersionInfo extends PaAttribute {
  readonly kind: 'tcg/pts-tpm-version-info';
  /** The version information as sent. */
  info: Uint8Array;
}

/** strongSwan's 16-byte TPM 2.0 version info. */
export function encodeTpm2VersionInfo(v: Tpm2VersionInfo): Uint8Array {
  return new Writer(16)
    .u16(TPM2_VERSION_INFO_MAGIC)
    .u8(0)
    .u8(v.locality)
    .u32(v.revision)
    .u32(v.year)
    .u32(v.vendor)
    .finish();
}

/** The TPM 2.0 fields of a version info, or undefined when it is not strongSwan's 16-byte TPM 2.0 form. */
export function decodeTpm2VersionInfo(info: Uint8Array): Tpm2VersionInfo | undefined {
  if (info.byteLength !== TPM2_VERSION_INFO_SIZE) return undefined;
  const r = new Reader(info, 'tpmVersionInfo');
  if (r.u16('version') !== TPM2_VERSION_INFO_MAGIC) return undefined;
  r.skip(1, 'reserved');
  return { locality: r.u8('locality'), revision: r.u32('revision'), year: r.u32('year'), vendor: r.u32('vendor') };
}

export const tcgPtsTpmVersionInfo: PaAttributeCodec<TcgPtsTpmVersionInfo> = {
  kind: 'tcg/pts-tpm-version-info',
  vendor: Pen.TCG,
  type: TcgPtsAttr.TPM_VERSION_INFO,
  name: 'TPM Version Information',
  encodeValue(w, a) {
    w.bytes(a.info);
  },
  decodeValue(r) {
    if (r.remaining < 4) r.fail('info', `${r.remaining} bytes, at least 4 needed`);
    return { info: r.copy(r.remaining, 'info') };
  },
};
