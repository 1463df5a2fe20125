/**
 * TPM 2.0 quote evidence of a Simple Evidence Final attribute, verifier side: rebuilds the signed TPMS_ATTEST as
 * strongSwan does (tpm_tss_quote_info.c) —
 *
 *   ff544347 ‖ 8018 ‖ u16 len ‖ qualifiedSigner ‖ u16 len ‖ nonce ‖ clockInfo(17) ‖ firmwareVersion(8) ‖
 *   pcrSelect (TPML_PCR_SELECTION) ‖ u16 len ‖ pcrDigest
 *
 * — and turns the raw signature (RSA signature, or ECDSA r ‖ s) into a TPMT_SIGNATURE for src/tpm/verify-quote.ts.
 * Pure: no TPM transport.
 */
import { createPublicKey } from 'node:crypto';
import { Reader, Writer } from '../../common/index.ts';
import { unmarshal } from '../../tpm/marshal.ts';
import { TPML_PCR_SELECTION } from '../../tpm/types/basic.ts';
import type { TPML_PCR_SELECTION as PcrSelection } from '../../tpm/types/basic.ts';
import { TPM_ALG, TPM_ST } from '../../tpm/types/constants.ts';
import { TPM_GENERATED_VALUE } from '../../tpm/types/attest.ts';
import type { TPMT_SIGNATURE } from '../../tpm/types/signature.ts';
import type { PtsTpm2QuoteInfo } from '../attrs/simple-evidence-final.ts';

/** The TPMS_ATTEST bytes the TPM signed, given the nonce the verifier expects. */
export function rebuildQuoteAttest(info: PtsTpm2QuoteInfo, pcrDigest: Uint8Array, nonce: Uint8Array): Uint8Array {
  const w = new Writer(256);
  w.u32(TPM_GENERATED_VALUE).u16(TPM_ST.ATTEST_QUOTE);
  w.u16(info.qualifiedSigner.byteLength).bytes(info.qualifiedSigner);
  w.u16(nonce.byteLength).bytes(nonce);
  w.bytes(info.clockInfo).bytes(info.firmwareVersion).bytes(info.pcrSelect);
  w.u16(pcrDigest.byteLength).bytes(pcrDigest);
  return w.finish();
}

/** The quoted PCR selection (throws ParseError when malformed). */
export function quotedSelection(info: PtsTpm2QuoteInfo): PcrSelection {
  return unmarshal(TPML_PCR_SELECTION, info.pcrSelect, 'pcrSelect');
}

/**
 * A TPMT_SIGNATURE for a raw quote signature: RSASSA for RSA AIKs (strongSwan checks PKCS#1 v1.5 only), ECDSA with r
 * and s as the two halves for EC AIKs. `hashAlg` is the TPM_ALG_ID of the signature hash.
 */
export function signatureFromRaw(raw: Uint8Array, aikSpki: Uint8Array, hashAlg: number): TPMT_SIGNATURE {
  const key = createPublicKey({ key: Buffer.from(aikSpki), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'rsa')
    return { sigAlg: TPM_ALG.RSASSA, signature: { hash: hashAlg, sig: raw.slice() } };
  const r = new Reader(raw, 'quoteSignature');
  if (raw.byteLength % 2 !== 0) r.fail('', `ECDSA r ‖ s of odd length ${raw.byteLength}`);
  const half = raw.byteLength / 2;
  return {
    sigAlg: TPM_ALG.ECDSA,
    signature: { hash: hashAlg, signatureR: r.copy(half, 'r'), signatureS: r.copy(half, 's') },
  };
}
