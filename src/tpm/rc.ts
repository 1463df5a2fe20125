/**
 * TPM_RC response codes (TPM 2.0 Part 2, Rev 1.59, §6.6) and the typed error that names them.
 *
 * Format zero (bit 7 = 0):       bit 8 = VER1 (2.0 code), bit 10 = vendor, bit 11 = warning, bits 0–6 = code.
 *   TPM_RC_VER1 = 0x100 + code    errors such as TPM_RC_INITIALIZE, TPM_RC_NV_DEFINED
 *   TPM_RC_WARN = 0x900 + code    warnings such as TPM_RC_RETRY, TPM_RC_OBJECT_MEMORY
 * Format one (bit 7 = 1):        bits 0–5 = code (TPM_RC_FMT1 = 0x080 + code),
 *   bit 6 (P) = 1                 bits 8–11 = parameter number
 *   bit 6 = 0, bit 11 = 0         bits 8–10 = handle number
 *   bit 6 = 0, bit 11 = 1         bits 8–10 = session number
 * Codes below 0x100 that are not format one come from TPM 1.2 (TPM_RC_BAD_TAG = 0x01E).
 */
import { AttestdError } from '../common/errors.ts';
import { reverse } from '../common/names.ts';

export const TPM_RC_SUCCESS = 0x000;
export const TPM_RC_BAD_TAG = 0x01e;
const VER1 = 0x100;
const FMT1 = 0x080;
const WARN = 0x900;

/** Format-zero errors, as offsets from TPM_RC_VER1 (§6.6.3). */
const FORMAT0 = {
  INITIALIZE: 0x000,
  FAILURE: 0x001,
  SEQUENCE: 0x003,
  PRIVATE: 0x00b,
  HMAC: 0x019,
  DISABLED: 0x020,
  EXCLUSIVE: 0x021,
  AUTH_TYPE: 0x024,
  AUTH_MISSING: 0x025,
  POLICY: 0x026,
  PCR: 0x027,
  PCR_CHANGED: 0x028,
  UPGRADE: 0x02d,
  TOO_MANY_CONTEXTS: 0x02e,
  AUTH_UNAVAILABLE: 0x02f,
  REBOOT: 0x030,
  UNBALANCED: 0x031,
  COMMAND_SIZE: 0x042,
  COMMAND_CODE: 0x043,
  AUTHSIZE: 0x044,
  AUTH_CONTEXT: 0x045,
  NV_RANGE: 0x046,
  NV_SIZE: 0x047,
  NV_LOCKED: 0x048,
  NV_AUTHORIZATION: 0x049,
  NV_UNINITIALIZED: 0x04a,
  NV_SPACE: 0x04b,
  NV_DEFINED: 0x04c,
  BAD_CONTEXT: 0x050,
  CPHASH: 0x051,
  PARENT: 0x052,
  NEEDS_TEST: 0x053,
  NO_RESULT: 0x054,
  SENSITIVE: 0x055,
} as const;

/** Format-one errors, as offsets from TPM_RC_FMT1 (§6.6.3). */
const FORMAT1 = {
  ASYMMETRIC: 0x001,
  ATTRIBUTES: 0x002,
  HASH: 0x003,
  VALUE: 0x004,
  HIERARCHY: 0x005,
  KEY_SIZE: 0x007,
  MGF: 0x008,
  MODE: 0x009,
  TYPE: 0x00a,
  HANDLE: 0x00b,
  KDF: 0x00c,
  RANGE: 0x00d,
  AUTH_FAIL: 0x00e,
  NONCE: 0x00f,
  PP: 0x010,
  SCHEME: 0x012,
  SIZE: 0x015,
  SYMMETRIC: 0x016,
  TAG: 0x017,
  SELECTOR: 0x018,
  INSUFFICIENT: 0x01a,
  SIGNATURE: 0x01b,
  KEY: 0x01c,
  POLICY_FAIL: 0x01d,
  INTEGRITY: 0x01f,
  TICKET: 0x020,
  RESERVED_BITS: 0x021,
  BAD_AUTH: 0x022,
  EXPIRED: 0x023,
  POLICY_CC: 0x024,
  BINDING: 0x025,
  CURVE: 0x026,
  ECC_POINT: 0x027,
} as const;

/** Warnings, as offsets from TPM_RC_WARN (§6.6.3). */
const WARNINGS = {
  CONTEXT_GAP: 0x001,
  OBJECT_MEMORY: 0x002,
  SESSION_MEMORY: 0x003,
  MEMORY: 0x004,
  SESSION_HANDLES: 0x005,
  OBJECT_HANDLES: 0x006,
  LOCALITY: 0x007,
  YIELDED: 0x008,
  CANCELED: 0x009,
  TESTING: 0x00a,
  REFERENCE_H0: 0x010,
  REFERENCE_H1: 0x011,
  REFERENCE_H2: 0x012,
  REFERENCE_H3: 0x013,
  REFERENCE_H4: 0x014,
  REFERENCE_H5: 0x015,
  REFERENCE_H6: 0x016,
  REFERENCE_S0: 0x018,
  REFERENCE_S1: 0x019,
  REFERENCE_S2: 0x01a,
  REFERENCE_S3: 0x01b,
  REFERENCE_S4: 0x01c,
  REFERENCE_S5: 0x01d,
  REFERENCE_S6: 0x01e,
  NV_RATE: 0x020,
  LOCKOUT: 0x021,
  RETRY: 0x022,
  NV_UNAVAILABLE: 0x023,
} as const;

function table(base: number, t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [`TPM_RC_${k}`, base + v]));
}

/** Every named TPM_RC value (base codes, without parameter/handle/session numbers). */
export const TPM_RC: Readonly<Record<string, number>> = {
  TPM_RC_SUCCESS,
  TPM_RC_BAD_TAG,
  ...table(VER1, FORMAT0),
  ...table(FMT1, FORMAT1),
  ...table(WARN, WARNINGS),
};
/** Convenience constants for the codes callers test for. */
export const RC = {
  INITIALIZE: VER1 + FORMAT0.INITIALIZE,
  NV_DEFINED: VER1 + FORMAT0.NV_DEFINED,
  REFERENCE_H0: WARN + WARNINGS.REFERENCE_H0,
  RETRY: WARN + WARNINGS.RETRY,
  YIELDED: WARN + WARNINGS.YIELDED,
  TESTING: WARN + WARNINGS.TESTING,
  AUTH_FAIL: FMT1 + FORMAT1.AUTH_FAIL,
  BAD_AUTH: FMT1 + FORMAT1.BAD_AUTH,
  VALUE: FMT1 + FORMAT1.VALUE,
  HANDLE: FMT1 + FORMAT1.HANDLE,
  POLICY_FAIL: FMT1 + FORMAT1.POLICY_FAIL,
  INTEGRITY: FMT1 + FORMAT1.INTEGRITY,
  SIZE: FMT1 + FORMAT1.SIZE,
} as const;
const RC_NAMES = reverse(TPM_RC);

/** A decoded response code. */
export interface DecodedRc {
  /** The full code as received. */
  rc: number;
  /** The base code with the parameter/handle/session number removed (a key of TPM_RC when known). */
  base: number;
  /** TPM_RC_xxx, or `TPM_RC_0x…` for unknown codes, or `VENDOR_0x…` for vendor codes. */
  name: string;
  format: 0 | 1;
  warning: boolean;
  vendor: boolean;
  /** Which parameter, handle or session the error refers to (1-based), for format-one codes. */
  subject?: { kind: 'parameter' | 'handle' | 'session'; index: number };
}

export function decodeRc(rc: number): DecodedRc {
  const hex = `0x${rc.toString(16).padStart(3, '0')}`;
  if (rc & FMT1) {
    const base = FMT1 + (rc & 0x3f);
    const name = RC_NAMES.get(base) ?? `TPM_RC_${hex}`;
    let subject: DecodedRc['subject'];
    if (rc & 0x40) subject = { kind: 'parameter', index: (rc >> 8) & 0xf };
    else if (rc & 0x800) subject = { kind: 'session', index: (rc >> 8) & 0x7 };
    else if ((rc >> 8) & 0x7) subject = { kind: 'handle', index: (rc >> 8) & 0x7 };
    const out: DecodedRc = { rc, base, name, format: 1, warning: false, vendor: false };
    if (subject && subject.index > 0) out.subject = subject;
    return out;
  }
  if (!(rc & VER1)) {
    return { rc, base: rc, name: RC_NAMES.get(rc) ?? `TPM_RC_${hex}`, format: 0, warning: false, vendor: false };
  }
  const vendor = (rc & 0x400) !== 0;
  const warning = (rc & 0x800) !== 0;
  const base = rc & 0xf7f;
  const name = vendor ? `VENDOR_${hex}` : (RC_NAMES.get(base) ?? `TPM_RC_${hex}`);
  return { rc, base, name, format: 0, warning, vendor };
}

/** `TPM_RC_VALUE (parameter 1)`, `TPM_RC_INITIALIZE`, … */
export function describeRc(rc: number): string {
  const d = decodeRc(rc);
  return d.subject ? `${d.name} (${d.subject.kind} ${d.subject.index})` : d.name;
}

/** A TPM answered a command with a non-success response code. */
export class TpmError extends AttestdError {
  readonly rc: number;
  readonly rcName: string;
  /** The base code (no parameter/handle/session number), comparable with RC.*. */
  readonly base: number;
  readonly command: string;
  readonly subject: DecodedRc['subject'];
  constructor(command: string, rc: number) {
    const d = decodeRc(rc);
    super('ERR_TPM', `${command}: ${describeRc(rc)} (0x${rc.toString(16)})`);
    this.rc = rc;
    this.rcName = d.name;
    this.base = d.base;
    this.command = command;
    this.subject = d.subject;
  }
  /** True when the base code equals `base`. */
  is(base: number): boolean {
    return this.base === base;
  }
}
