/**
 * TCG PTS Simple Component Evidence (PTS IF-M Binding §3.15.1), type 0x00300000: one measurement event.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Flags      |               Sub-Component Depth             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Component Functional Name Vendor ID        |Fam| Qualifier |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Component Functional Name                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Measure. Type |               Extended into PCR               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Hash Algorithm         | PCR Transform |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Measurement Date/Time (20 bytes, YYYY-MM-DDThh:mm:ssZ)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Optional Policy URI Length   |  Opt. Verification Policy URI ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Optional PCR Length        |   Optional PCR Before Value   ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~           Optional PCR After Value (Variable Length)          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~           Component Measurement (Variable Length)             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: PCR info 0x80, validation in bits 0x60 (none 0x00, unable 0x20, failed 0x40, passed 0x60). The policy URI
 * is present when validation is failed or passed; for IMA events strongSwan puts `algo:path` there and the ima-ng
 * template hash in the measurement. Measurement Type is always 0x80 (hash).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { PTS_SIMPLE_COMP_EVID_FLAG_PCR, PtsCompEvidValidation, TcgPtsAttr } from '../constants.ts';
import type { PtsCompFuncName } from '../constants.ts';
import { readCompFuncName, writeCompFuncName } from './comp-func-name.ts';

const MEAS_TYPE_HASH = 0x80;
const TIME_SIZE = 20;
const VALIDATION_MASK = 0x60;
/** strongSwan's "unknown time" (all zeros is not a valid date). */
export const PTS_UNKNOWN_TIME = '0000-00-00T00:00:00Z';

export interface TcgPtsSimpleCompEvid extends PaAttribute {
  readonly kind: 'tcg/pts-simple-comp-evid';
  depth: number;
  name: PtsCompFuncName;
  /** PCR the measurement was extended into. */
  pcr: number;
  /** PTS measurement algorithm bit of the measurement. */
  hashAlgorithm: number;
  transform: number;
  /** 20 characters, `YYYY-MM-DDThh:mm:ssZ`. */
  time: string;
  /** Validation bits (PtsCompEvidValidation). */
  validation: number;
  /** Present when validation is failed or passed. */
  policyUri?: string;
  pcrBefore?: Uint8Array;
  pcrAfter?: Uint8Array;
  measurement: Uint8Array;
}

const TIME_ENCODER = new TextEncoder();

const hasUri = (v: number) => v === PtsCompEvidValidation.FAILED || v === PtsCompEvidValidation.PASSED;

export const tcgPtsSimpleCompEvid: PaAttributeCodec<TcgPtsSimpleCompEvid> = {
  kind: 'tcg/pts-simple-comp-evid',
  vendor: Pen.TCG,
  type: TcgPtsAttr.SIMPLE_COMP_EVID,
  name: 'Simple Component Evidence',
  encodeValue(w, a) {
    const pcrInfo = a.pcrBefore !== undefined && a.pcrAfter !== undefined;
    w.u8((a.validation & VALIDATION_MASK) | (pcrInfo ? PTS_SIMPLE_COMP_EVID_FLAG_PCR : 0)).u24(a.depth);
    writeCompFuncName(w, a.name);
    w.u8(MEAS_TYPE_HASH).u24(a.pcr).u16(a.hashAlgorithm).u8(a.transform).u8(0);
    const t = TIME_ENCODER.encode(a.time);
    const time = new Uint8Array(TIME_SIZE);
    time.set(t.subarray(0, TIME_SIZE));
    w.bytes(time);
    if (hasUri(a.validation & VALIDATION_MASK)) w.lengthPrefixed(2, (x) => x.utf8(a.policyUri ?? ''));
    if (pcrInfo) {
      w.u16(a.pcrBefore!.byteLength).bytes(a.pcrBefore!).bytes(a.pcrAfter!);
    }
    w.bytes(a.measurement);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    const depth = r.u24('depth');
    const name = readCompFuncName(r);
    const type = r.u8('measurementType');
    if (type !== MEAS_TYPE_HASH) r.fail('measurementType', `unsupported measurement type ${type}`, r.offset - 1);
    const pcr = r.u24('pcr');
    const hashAlgorithm = r.u16('hashAlgorithm');
    const transform = r.u8('transform');
    r.skip(1, 'reserved');
    const time = r.utf8(TIME_SIZE, 'time');
    const validation = flags & VALIDATION_MASK;
    const out: Omit<TcgPtsSimpleCompEvid, 'kind' | 'noskip'> = {
      depth,
      name,
      pcr,
      hashAlgorithm,
      transform,
      time,
      validation,
      measurement: new Uint8Array(0),
    };
    if (hasUri(validation)) out.policyUri = r.utf8(r.u16('policyUriLength'), 'policyUri');
    if (flags & PTS_SIMPLE_COMP_EVID_FLAG_PCR) {
      const n = r.u16('pcrLength');
      out.pcrBefore = r.copy(n, 'pcrBefore');
      out.pcrAfter = r.copy(n, 'pcrAfter');
    }
    out.measurement = r.copy(r.remaining, 'measurement');
    return out;
  },
};
