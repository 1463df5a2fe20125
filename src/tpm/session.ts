/**
 * HMAC session authorization (TPM 2.0 Part 1, Rev 1.59, §19.6), for unsalted, unbound sessions (sessionKey is the
 * Empty Buffer, §19.6.8), without parameter encryption.
 *
 *   cpHash  = H_authHash(commandCode ‖ Name(handle 1) ‖ … ‖ parameters)                    (§18.7)
 *   rpHash  = H_authHash(responseCode = 0 ‖ commandCode ‖ parameters)                      (§18.9)
 *   command HMAC  = HMAC_authHash(sessionKey ‖ authValue, cpHash ‖ nonceCaller ‖ nonceTPM ‖ sessionAttributes)
 *   response HMAC = HMAC_authHash(sessionKey ‖ authValue, rpHash ‖ nonceTPM' ‖ nonceCaller ‖ sessionAttributes)
 * Nonces roll: each command brings a new nonceCaller, each response a new nonceTPM.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { concat, u32be } from '../common/bytes.ts';
import { VerifyError } from '../common/errors.ts';
import { digest, hashName } from './keys.ts';

/** The caller's view of an HMAC session: its handle, hash and the last nonce the TPM sent. */
export class HmacSession {
  readonly handle: number;
  readonly authHash: number;
  /** nonceTPM from the last response (nonceOlder of the next command). */
  nonceTPM: Uint8Array;
  /** Empty for unsalted, unbound sessions. */
  readonly sessionKey: Uint8Array;

  constructor(handle: number, authHash: number, nonceTPM: Uint8Array, sessionKey: Uint8Array = new Uint8Array(0)) {
    this.handle = handle;
    this.authHash = authHash;
    this.nonceTPM = nonceTPM;
    this.sessionKey = sessionKey;
  }
}

/** Trailing zero octets are removed from an authValue before it is used in an HMAC key (Part 1 §19.6.4.3). */
export function trimAuth(v: Uint8Array): Uint8Array {
  let n = v.byteLength;
  while (n > 0 && v[n - 1] === 0) n--;
  return v.subarray(0, n);
}

export function cpHash(
  hashAlg: number,
  commandCode: number,
  names: readonly Uint8Array[],
  params: Uint8Array,
): Uint8Array {
  return digest(hashAlg, concat(u32be(commandCode), ...names, params));
}

export function rpHash(hashAlg: number, commandCode: number, params: Uint8Array): Uint8Array {
  return digest(hashAlg, concat(u32be(0), u32be(commandCode), params));
}

export function sessionHmac(
  hashAlg: number,
  key: Uint8Array,
  pHash: Uint8Array,
  nonceNewer: Uint8Array,
  nonceOlder: Uint8Array,
  attributes: number,
): Uint8Array {
  return new Uint8Array(
    createHmac(hashName(hashAlg), key)
      .update(concat(pHash, nonceNewer, nonceOlder, new Uint8Array([attributes])))
      .digest(),
  );
}

/** Checks a response HMAC in constant time; throws a VerifyError naming the command. */
export function checkResponseHmac(command: string, expected: Uint8Array, got: Uint8Array): void {
  if (expected.byteLength !== got.byteLength || !timingSafeEqual(expected, got)) {
    throw new VerifyError('session', `${command}: response HMAC does not verify`);
  }
}
