/**
 * TCG PTS File Measurement (PTS IF-M Binding §3.19.2), type 0x00D00000.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Number of Files included                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Number of Files included                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Request ID           |      Measurement Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Measurement #1 (Variable Length)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Filename Length        | Filename (Variable Length)    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      ... repeated per file ...                ~
 *
 * The count must equal the entries present. For a directory request the names are relative to the directory.
 * The attribute may be far larger than one IF-M segment: the IMC/IMV layer segments it (src/tnc/pa/seg).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { TcgPtsAttr } from '../constants.ts';

export interface PtsFileMeasurementEntry {
  filename: string;
  measurement: Uint8Array;
}

export interface TcgPtsFileMeas extends PaAttribute {
  readonly kind: 'tcg/pts-file-meas';
  requestId: number;
  /** Length of every measurement (the digest size of the selected algorithm). */
  measurementLength: number;
  files: PtsFileMeasurementEntry[];
}

/** Cap on the entries one attribute may declare, checked against the bytes present before anything is kept. */
const MIN_ENTRY = 2;

export const tcgPtsFileMeas: PaAttributeCodec<TcgPtsFileMeas> = {
  kind: 'tcg/pts-file-meas',
  vendor: Pen.TCG,
  type: TcgPtsAttr.FILE_MEAS,
  name: 'File Measurement',
  encodeValue(w, a) {
    w.u64(BigInt(a.files.length)).u16(a.requestId).u16(a.measurementLength);
    for (const f of a.files) {
      w.bytes(f.measurement);
      w.lengthPrefixed(2, (x) => x.utf8(f.filename));
    }
  },
  decodeValue(r) {
    const count = r.u64('count');
    const requestId = r.u16('requestId');
    const measurementLength = r.u16('measurementLength');
    if (count > BigInt(Math.floor(r.remaining / (measurementLength + MIN_ENTRY)))) {
      r.fail('count', `${count} files cannot fit in ${r.remaining} bytes`, r.offset - 12);
    }
    const files: PtsFileMeasurementEntry[] = [];
    for (let i = 0; i < Number(count); i++) {
      const measurement = r.copy(measurementLength, `files[${i}].measurement`);
      const filename = r.utf8(r.u16(`files[${i}].filenameLength`), `files[${i}].filename`);
      files.push({ filename, measurement });
    }
    return { requestId, measurementLength, files };
  },
};
