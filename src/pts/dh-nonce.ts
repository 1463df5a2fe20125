/**
 * The PTS D-H nonce exchange (PTS IF-M Binding §3.8) shared by both sides: the key exchange of a PTS D-H group
 * (src/crypto KE encodings: ECP x ‖ y, MODP left-padded) and the secret assessment value that becomes the TPM2_Quote
 * qualifyingData:
 *
 *   secret = H_selected('1' ‖ initiator nonce ‖ responder nonce ‖ D-H shared secret)   (strongSwan pts.c)
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../common/index.ts';
import type { Rng } from '../common/index.ts';
import { createKeyExchange } from '../crypto/index.ts';
import type { KeyExchange } from '../crypto/index.ts';
import { PTS_DH_GROUP_KE, PtsDhGroupName, measAlgoHash } from './constants.ts';

/** Minimum nonce length both sides accept (PTS: at least 17 bytes). */
export const PTS_MIN_NONCE_LENGTH = 17;
/** Nonce length we pick (strongSwan: 20 for SHA-1, we use 32). */
export const PTS_NONCE_LENGTH = 32;

/** Groups node:crypto (src/crypto) can compute: IKE14, IKE19, IKE20. */
export const PTS_SUPPORTED_DH_GROUPS = 0x2000 | 0x1000 | 0x0800;

export function ptsKeyExchange(group: number, rng?: Rng): KeyExchange {
  const method = PTS_DH_GROUP_KE.get(group);
  if (method === undefined || (group & PTS_SUPPORTED_DH_GROUPS) === 0) {
    throw new ConfigError(`PTS D-H group ${PtsDhGroupName.get(group) ?? `0x${group.toString(16)}`} is not supported`);
  }
  return createKeyExchange(method, rng);
}

/** The secret assessment value (the quote nonce). */
export function ptsSecret(
  hashAlgorithm: number,
  initiatorNonce: Uint8Array,
  responderNonce: Uint8Array,
  sharedSecret: Uint8Array,
): Uint8Array {
  const h = measAlgoHash(hashAlgorithm);
  if (!h) throw new ConfigError(`PTS hash algorithm 0x${hashAlgorithm.toString(16)} is not a single known algorithm`);
  const hash = createHash(h);
  hash.update(new Uint8Array([0x31]));
  hash.update(initiatorNonce);
  hash.update(responderNonce);
  hash.update(sharedSecret);
  return new Uint8Array(hash.digest());
}
