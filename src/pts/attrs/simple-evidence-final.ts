/**
 * TCG PTS Simple Evidence Final (PTS IF-M Binding §3.15.2), type 0x00400000, with strongSwan's TPM 2.0 quote form.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Flags     |   Reserved    | Optional Composite Hash Alg   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Optional TPM PCR Composite Length               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~          Optional TPM PCR Composite (Variable Length)         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~  TPM 2.0 only: qualifiedSigner, clockInfo, firmwareVersion,   ~
 * ~  pcrSelect — each a 16-bit length and the TPMS_ATTEST bytes   ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Optional TPM Quote Signature Length                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~        Optional TPM Quote Signature (Variable Length)         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~        Optional Evidence Signature (Variable Length)          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: quote mode in 0xd0 (none 0x00, TPM 2.0 0x10, Quote Info 0x40, Quote Info2 0x80, Info2 + version 0xc0),
 * evidence signature 0x20. The composite hash algorithm (PTS bitmap) is always present (zero if unused). For TPM
 * 2.0 the pcrDigest is TPM2B_DIGEST contents, qualifiedSigner TPM2B_NAME contents, clockInfo the 17-byte
 * TPMS_CLOCK_INFO, firmwareVersion 8 bytes, pcrSelect a marshaled TPML_PCR_SELECTION, and the signature the raw
 * RSA signature or ECDSA r ‖ s. The verifier rebuilds TPMS_ATTEST from these (src/pts/verify/quote.ts).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import { PTS_SIMPLE_EVID_FINAL_QUOTE_INFO_MASK, PtsSimpleEvidFinalFlag, TcgPtsAttr } from '../constants.ts';

export interface PtsTpm2QuoteInfo {
  qualifiedSigner: Uint8Array;
  clockInfo: Uint8Array;
  firmwareVersion: Uint8Array;
  pcrSelect: Uint8Array;
}

export interface TcgPtsSimpleEvidFinal extends PaAttribute {
  readonly kind: 'tcg/pts-simple-evid-final';
  /** Quote mode bits (PtsSimpleEvidFinalFlag, masked with 0xd0). */
  quoteMode: number;
  /** PTS measurement algorithm bit of the PCR composite (0 if unused). */
  compositeHashAlgorithm: number;
  /** Present unless the quote mode is none. */
  pcrComposite?: Uint8Array;
  /** Present for the TPM 2.0 quote mode. */
  tpm2?: PtsTpm2QuoteInfo;
  /** Present unless the quote mode is none. */
  quoteSignature?: Uint8Array;
  evidenceSignature?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export const tcgPtsSimpleEvidFinal: PaAttributeCodec<TcgPtsSimpleEvidFinal> = {
  kind: 'tcg/pts-simple-evid-final',
  vendor: Pen.TCG,
  type: TcgPtsAttr.SIMPLE_EVID_FINAL,
  name: 'Simple Evidence Final',
  encodeValue(w, a) {
    const mode = a.quoteMode & PTS_SIMPLE_EVID_FINAL_QUOTE_INFO_MASK;
    const sig = a.evidenceSignature !== undefined ? PtsSimpleEvidFinalFlag.EVID_SIG : 0;
    w.u8(mode | sig)
      .u8(0)
      .u16(a.compositeHashAlgorithm);
    if (mode !== PtsSimpleEvidFinalFlag.NO) {
      w.lengthPrefixed(4, (x) => x.bytes(a.pcrComposite ?? EMPTY));
    }
    if (mode === PtsSimpleEvidFinalFlag.EVID_QUOTE_INFO_TPM2) {
      const t = a.tpm2 ?? { qualifiedSigner: EMPTY, clockInfo: EMPTY, firmwareVersion: EMPTY, pcrSelect: EMPTY };
      for (const f of [t.qualifiedSigner, t.clockInfo, t.firmwareVersion, t.pcrSelect])
        w.lengthPrefixed(2, (x) => x.bytes(f));
    }
    if (mode !== PtsSimpleEvidFinalFlag.NO) w.lengthPrefixed(4, (x) => x.bytes(a.quoteSignature ?? EMPTY));
    if (a.evidenceSignature !== undefined) w.bytes(a.evidenceSignature);
  },
  decodeValue(r) {
    const flags = r.u8('flags');
    r.skip(1, 'reserved');
    const compositeHashAlgorithm = r.u16('compositeHashAlgorithm');
    const quoteMode = flags & PTS_SIMPLE_EVID_FINAL_QUOTE_INFO_MASK;
    const out: Omit<TcgPtsSimpleEvidFinal, 'kind' | 'noskip'> = { quoteMode, compositeHashAlgorithm };
    if (quoteMode !== PtsSimpleEvidFinalFlag.NO) out.pcrComposite = r.copy(r.u32('pcrCompositeLength'), 'pcrComposite');
    if (quoteMode === PtsSimpleEvidFinalFlag.EVID_QUOTE_INFO_TPM2) {
      out.tpm2 = {
        qualifiedSigner: r.copy(r.u16('qualifiedSignerLength'), 'qualifiedSigner'),
        clockInfo: r.copy(r.u16('clockInfoLength'), 'clockInfo'),
        firmwareVersion: r.copy(r.u16('firmwareVersionLength'), 'firmwareVersion'),
        pcrSelect: r.copy(r.u16('pcrSelectLength'), 'pcrSelect'),
      };
    }
    if (quoteMode !== PtsSimpleEvidFinalFlag.NO)
      out.quoteSignature = r.copy(r.u32('quoteSignatureLength'), 'quoteSignature');
    if (flags & PtsSimpleEvidFinalFlag.EVID_SIG) out.evidenceSignature = r.copy(r.remaining, 'evidenceSignature');
    return out;
  },
};
