/**
 * Software policy digests (TPM 2.0 Part 3, Rev 1.59, §23): what a trial session would compute, so that templates
 * and verifiers can check authPolicy values.
 *
 *   PolicySecret (§23.4):  policyDigest' = H(policyDigest ‖ TPM_CC_PolicySecret ‖ authObject.name)
 *                          policyDigest'' = H(policyDigest' ‖ policyRef)
 */
import { concat, u32be } from '../common/bytes.ts';
import { DIGEST_SIZE, TPM_CC } from './types/constants.ts';
import { digest } from './keys.ts';

export function emptyPolicy(hashAlg: number): Uint8Array {
  return new Uint8Array(DIGEST_SIZE.get(hashAlg) ?? 32);
}

export function policySecretDigest(
  hashAlg: number,
  authObjectName: Uint8Array,
  policyRef: Uint8Array = new Uint8Array(0),
  previous = emptyPolicy(hashAlg),
): Uint8Array {
  const step = digest(hashAlg, concat(previous, u32be(TPM_CC.PolicySecret), authObjectName));
  return digest(hashAlg, concat(step, policyRef));
}
