/**
 * Splitting one TCG PTS File Measurement (PTS IF-M Binding §3.19.2) into several for the same request, so that a
 * directory with more files than one PB-TNC batch can carry still goes out: each part is a complete attribute of
 * the same Request ID and Measurement Length with its own Number of Files, the entries kept in order. The verifier
 * merges the parts of one request (src/pts/verify/verifier.ts). Value layout, per part:
 *
 *   Number of Files (8) | Request ID (2) | Measurement Length (2) | { Measurement | Filename Length (2) | Filename }*
 */
import { LimitError } from '../../common/index.ts';
import { PA_TNC_ATTR_HEADER_SIZE, PA_TNC_HEADER_SIZE } from '../../tnc/pa/constants.ts';
import { MaxBatchSize, maxPaMessageBody } from '../../tnc/pb/index.ts';
import type { PtsFileMeasurementEntry, TcgPtsFileMeas } from './file-measurement.ts';

/** Number of Files, Request ID and Measurement Length. */
export const FILE_MEAS_FIXED_SIZE = 12;

const utf8 = new TextEncoder();

/** Bytes one entry takes in the value: its measurement, the 2-byte name length and the UTF-8 name. */
export function fileMeasurementEntrySize(measurementLength: number, e: PtsFileMeasurementEntry): number {
  return measurementLength + 2 + utf8.encode(e.filename).byteLength;
}

/** Bytes the attribute's value takes (without the 12-byte attribute header). */
export function fileMeasurementValueSize(a: TcgPtsFileMeas): number {
  let n = FILE_MEAS_FIXED_SIZE;
  for (const f of a.files) n += fileMeasurementEntrySize(a.measurementLength, f);
  return n;
}

/**
 * The largest File Measurement value that fits, alone, in a PA-TNC message alone in a PB-TNC batch of
 * `maxBatchSize` bytes (default PT-EAP's): the batch, PB-TNC message, PB-PA, PA-TNC message and attribute headers
 * come off.
 */
export function fileMeasurementValueBudget(maxBatchSize: number = MaxBatchSize.PT_EAP): number {
  return maxPaMessageBody(maxBatchSize) - PA_TNC_HEADER_SIZE - PA_TNC_ATTR_HEADER_SIZE;
}

/**
 * `attr` as File Measurement attributes whose values are at most `maxValueBytes` each: `[attr]` itself when it
 * fits, else parts filled greedily in order (none empty). Throws LimitError when one entry alone cannot fit.
 */
export function splitFileMeasurement(attr: TcgPtsFileMeas, maxValueBytes: number): TcgPtsFileMeas[] {
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes <= FILE_MEAS_FIXED_SIZE)
    throw new LimitError('pts.fileMeasurementSize', `a value budget of ${maxValueBytes} bytes holds no file`);
  if (fileMeasurementValueSize(attr) <= maxValueBytes) return [attr];
  const parts: TcgPtsFileMeas[] = [];
  let files: PtsFileMeasurementEntry[] = [];
  let size = FILE_MEAS_FIXED_SIZE;
  const flush = () => {
    parts.push({ ...attr, files });
    files = [];
    size = FILE_MEAS_FIXED_SIZE;
  };
  for (const f of attr.files) {
    const n = fileMeasurementEntrySize(attr.measurementLength, f);
    if (FILE_MEAS_FIXED_SIZE + n > maxValueBytes)
      throw new LimitError(
        'pts.fileMeasurementSize',
        `the measurement of ${f.filename.slice(0, 64)} takes ${n} bytes, more than one attribute of ${maxValueBytes} can hold`,
      );
    if (size + n > maxValueBytes) flush();
    files.push(f);
    size += n;
  }
  if (files.length > 0) flush();
  return parts;
}
