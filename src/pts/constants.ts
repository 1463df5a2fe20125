/**
 * TCG PTS over IF-M constants (TCG Attestation PTS Protocol: Binding to TNC IF-M, v1.0 rev 28; numbers as
 * strongSwan's src/libimcv/tcg/tcg_attr.h and src/libimcv/pts/*.h use them). Spec-named `as const` tables with
 * reverse name tables for logs, and the mappings between PTS bitmaps and hash / key-exchange names.
 */
import { reverse } from '../common/index.ts';
import type { HashName } from '../measure/hash.ts';

/** PTS attribute types (vendor TCG, PA subtype TCG/PTS). */
export const TcgPtsAttr = {
  REQ_PROTO_CAPS: 0x01000000,
  PROTO_CAPS: 0x02000000,
  DH_NONCE_PARAMS_REQ: 0x03000000,
  DH_NONCE_PARAMS_RESP: 0x04000000,
  DH_NONCE_FINISH: 0x05000000,
  MEAS_ALGO: 0x06000000,
  MEAS_ALGO_SELECTION: 0x07000000,
  GET_TPM_VERSION_INFO: 0x08000000,
  TPM_VERSION_INFO: 0x09000000,
  GET_AIK: 0x0d000000,
  AIK: 0x0e000000,
  REQ_FUNC_COMP_EVID: 0x00100000,
  GEN_ATTEST_EVID: 0x00200000,
  SIMPLE_COMP_EVID: 0x00300000,
  SIMPLE_EVID_FINAL: 0x00400000,
  REQ_FILE_META: 0x00700000,
  UNIX_FILE_META: 0x00900000,
  REQ_FILE_MEAS: 0x00c00000,
  FILE_MEAS: 0x00d00000,
} as const;
export const TcgPtsAttrName = reverse(TcgPtsAttr);

/** PTS Protocol Capabilities flags (§3.7). */
export const PtsProtoCaps = { C: 0x10, V: 0x08, D: 0x04, T: 0x02, X: 0x01 } as const;

/** PTS measurement algorithm bitmap (§3.9.1). */
export const PtsMeasAlgo = { SHA1: 0x8000, SHA256: 0x4000, SHA384: 0x2000, SHA512: 0x1000 } as const;
/** The measurement algorithms both sides offer unless configured otherwise (strongSwan's: SHA-384, SHA-256, SHA-1). */
export const PTS_DEFAULT_MEAS_ALGOS = PtsMeasAlgo.SHA384 | PtsMeasAlgo.SHA256 | PtsMeasAlgo.SHA1;
export const PtsMeasAlgoName = reverse(PtsMeasAlgo);

/** PTS D-H group bitmap (§3.8.1). */
export const PtsDhGroup = { IKE2: 0x8000, IKE5: 0x4000, IKE14: 0x2000, IKE19: 0x1000, IKE20: 0x0800 } as const;
export const PtsDhGroupName = reverse(PtsDhGroup);

/** IKE key exchange method of each PTS D-H group. */
export const PTS_DH_GROUP_KE: ReadonlyMap<number, number> = new Map([
  [PtsDhGroup.IKE2, 2],
  [PtsDhGroup.IKE5, 5],
  [PtsDhGroup.IKE14, 14],
  [PtsDhGroup.IKE19, 19],
  [PtsDhGroup.IKE20, 20],
]);

/** Hash name of a single PTS measurement algorithm bit (undefined for none or several). */
export function measAlgoHash(bit: number): HashName | undefined {
  switch (bit) {
    case PtsMeasAlgo.SHA1:
      return 'sha1';
    case PtsMeasAlgo.SHA256:
      return 'sha256';
    case PtsMeasAlgo.SHA384:
      return 'sha384';
    case PtsMeasAlgo.SHA512:
      return 'sha512';
    default:
      return undefined;
  }
}

/** PTS measurement algorithm bit of a hash name (undefined when PTS has none). */
export function measAlgoOf(h: HashName): number | undefined {
  switch (h) {
    case 'sha1':
      return PtsMeasAlgo.SHA1;
    case 'sha256':
      return PtsMeasAlgo.SHA256;
    case 'sha384':
      return PtsMeasAlgo.SHA384;
    case 'sha512':
      return PtsMeasAlgo.SHA512;
    default:
      return undefined;
  }
}

/** Strongest algorithm in both sets, in strongSwan's preference (SHA384, SHA256, SHA1; SHA512 last-but-one). */
export function selectMeasAlgo(ours: number, theirs: number): number | undefined {
  for (const b of [PtsMeasAlgo.SHA384, PtsMeasAlgo.SHA256, PtsMeasAlgo.SHA512, PtsMeasAlgo.SHA1]) {
    if (ours & theirs & b) return b;
  }
  return undefined;
}

/** Strongest D-H group in both sets (strongSwan: IKE20, IKE19, IKE14, IKE5, IKE2). */
export function selectDhGroup(ours: number, theirs: number): number | undefined {
  for (const b of [PtsDhGroup.IKE20, PtsDhGroup.IKE19, PtsDhGroup.IKE14, PtsDhGroup.IKE5, PtsDhGroup.IKE2]) {
    if (ours & theirs & b) return b;
  }
  return undefined;
}

/** Request Functional Component Evidence flags (strongSwan pts_req_func_comp_evid.h). */
export const PtsReqFuncCompEvidFlag = { TTC: 0x80, VER: 0x40, CURR: 0x20, PCR: 0x10 } as const;

/** Simple Component Evidence: PCR info flag and validation values (pts_comp_evidence.h). */
export const PTS_SIMPLE_COMP_EVID_FLAG_PCR = 0x80;
export const PtsCompEvidValidation = { NONE: 0x00, UNABLE: 0x20, FAILED: 0x40, PASSED: 0x60 } as const;
/** PCR transform (§3.15.1). */
export const PtsPcrTransform = { NO: 0, MATCH: 1, LONG: 2, SHORT: 3 } as const;

/** Simple Evidence Final flags (tcg_pts_attr_simple_evid_final.c). */
export const PtsSimpleEvidFinalFlag = {
  NO: 0x00,
  EVID_QUOTE_INFO_TPM2: 0x10,
  EVID_SIG: 0x20,
  QUOTE_INFO: 0x40,
  QUOTE_INFO2: 0x80,
  QUOTE_INFO2_CAP_VER: 0xc0,
} as const;
export const PTS_SIMPLE_EVID_FINAL_QUOTE_INFO_MASK = 0xd0;

/** ITA component functional names and qualifier bits (ita_comp_func_name.h). */
export const PtsItaCompFuncName = { IGNORE: 0, TGRUB: 1, TBOOT: 2, IMA: 3 } as const;
export const PtsItaQualifier = { KERNEL: 0x20, SUB: 0x10, TYPE_TRUSTED: 0x1, TYPE_OS: 0x2 } as const;

/** Unix file types of the Unix-Style File Metadata attribute (pts_file_type.h). */
export const PtsFileType = {
  UNKNOWN: 0,
  FIFO: 1,
  CHAR: 2,
  DIRECTORY: 3,
  BLOCK: 4,
  REGULAR: 5,
  SYMLINK: 6,
  SOCKET: 7,
} as const;
export const PtsFileTypeName = reverse(PtsFileType);

/** PTS-specific PA-TNC error codes (vendor TCG, pts_error.h). */
export const PtsError = {
  HASH_ALG_NOT_SUPPORTED: 0x00000001,
  INVALID_PATH: 0x00000002,
  FILE_NOT_FOUND: 0x00000003,
  REG_NOT_SUPPORTED: 0x00000004,
  REG_KEY_NOT_FOUND: 0x00000005,
  DH_GRPS_NOT_SUPPORTED: 0x00000006,
  BAD_NONCE_LENGTH: 0x00000007,
  INVALID_NAME_FAM: 0x00000008,
  TPM_VERS_NOT_SUPPORTED: 0x00000009,
  INVALID_DELIMITER: 0x0000000a,
  OPERATION_NOT_SUPPORTED: 0x0000000b,
  RM_ERROR: 0x0000000c,
  UNABLE_LOCAL_VAL: 0x0000000d,
  UNABLE_CUR_EVID: 0x0000000e,
  UNABLE_DET_TTC: 0x0000000f,
  UNABLE_DET_PCR: 0x00000010,
} as const;
export const PtsErrorName = reverse(PtsError);

/** PTS component functional name (§5.1): vendor(24) | family(2) qualifier(6) | name(32). */
export interface PtsCompFuncName {
  vendor: number;
  /** The 6-bit qualifier (family bits are 0: the TCG encoding family). */
  qualifier: number;
  name: number;
}
