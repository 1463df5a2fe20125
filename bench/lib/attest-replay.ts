/**
 * Library for the attest bench (not a suite): a recording wrapper around a real collector, and a replaying collector
 * whose TPM is a software key.
 *
 * - `recordingImc(imc)`: passes every message through to the real `attest` IMC (swtpm) and keeps the attributes it
 *   answered with — the evidence of one real exchange: capabilities, algorithm selection, file measurements, the
 *   D-H nonce parameters, TPM version info, AIK, every Simple Component Evidence event and the Simple Evidence Final
 *   (TPM 2.0 quote info).
 * - `softQuoteImc(recording, key)`: a collector for throughput runs that answers each verifier request from that
 *   recording, except for what must be fresh per exchange: it runs its own D-H nonce exchange (a new key pair and
 *   responder nonce each time), sends the software key's SubjectPublicKeyInfo as a naked AIK, and signs the
 *   TPMS_ATTEST the verifier rebuilds for this exchange's nonce (the recorded quote info and PCR digest, the fresh
 *   nonce) with ECDSA P-256 / SHA-256 in place of TPM2_Quote. The verifier therefore does the full work of a real
 *   attestation: D-H, AIK trust lookup, file and IMA reference lookups, IMA template hashes, PCR replay, quote
 *   signature — only the collector's TPM and file I/O are gone.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { PaAttribute, UnknownPaAttribute } from '../../src/tnc/pa/index.ts';
import type { ImcConnection, ImcModule, IncomingPa, OutgoingPa } from '../../src/tnc/imc-imv/index.ts';
import { Pen, PaSubtype } from '../../src/tnc/pa/index.ts';
import { TcgPtsAttr, ptsAttributeCodecs, ptsKeyExchange, ptsSecret, rebuildQuoteAttest } from '../../src/pts/index.ts';
import type {
  TcgPtsDhNonceFinish,
  TcgPtsDhNonceParamsResponse,
  TcgPtsFileMeas,
  TcgPtsSimpleEvidFinal,
} from '../../src/pts/index.ts';

/** What one real collector sent over one exchange. */
export interface Recording {
  caps: PaAttribute;
  algoSelection: PaAttribute;
  fileMeas: Map<number, TcgPtsFileMeas>;
  dhResponse: TcgPtsDhNonceParamsResponse;
  versionInfo: PaAttribute | undefined;
  evidence: PaAttribute[];
  final: TcgPtsSimpleEvidFinal;
}

/** The real collector, with every attribute it sent kept (the last exchange wins). */
export function recordingImc(imc: ImcModule): { imc: ImcModule; recording(): Recording } {
  let sent: PaAttribute[] = [];
  const wrapped: ImcModule = {
    name: imc.name,
    subscriptions: imc.subscriptions,
    ...(imc.attributeCodecs ? { attributeCodecs: imc.attributeCodecs } : {}),
    connect(ctx): ImcConnection {
      const c = imc.connect(ctx);
      return {
        async beginHandshake() {
          sent = [];
          return await c.beginHandshake();
        },
        async receive(msg: IncomingPa) {
          const out = await c.receive(msg);
          for (const m of out) sent.push(...m.attributes);
          return out;
        },
      };
    },
  };
  const recording = (): Recording => {
    const one = <T extends PaAttribute>(kind: string): T => {
      const a = sent.find((x) => x.kind === kind);
      if (!a) throw new Error(`attest bench: the recorded exchange has no ${kind} attribute`);
      return a as T;
    };
    const fileMeas = new Map<number, TcgPtsFileMeas>();
    for (const a of sent)
      if (a.kind === 'tcg/pts-file-meas') fileMeas.set((a as TcgPtsFileMeas).requestId, a as TcgPtsFileMeas);
    const final = one<TcgPtsSimpleEvidFinal>('tcg/pts-simple-evid-final');
    if (!final.tpm2 || !final.pcrComposite)
      throw new Error('attest bench: the recorded quote has no TPM 2.0 quote info');
    return {
      caps: one('tcg/pts-proto-caps'),
      algoSelection: one('tcg/pts-meas-algo-selection'),
      fileMeas,
      dhResponse: one('tcg/pts-dh-nonce-params-resp'),
      versionInfo: sent.find((x) => x.kind === 'tcg/pts-tpm-version-info'),
      // The collector may hand its evidence over already encoded (imc/attest preEncoder: raw attributes).
      evidence: sent.filter(
        (x) =>
          x.kind === 'tcg/pts-simple-comp-evid' ||
          (x.kind === 'unknown' &&
            (x as UnknownPaAttribute).vendor === Pen.TCG &&
            (x as UnknownPaAttribute).type === TcgPtsAttr.SIMPLE_COMP_EVID),
      ),
      final,
    };
  };
  return { imc: wrapped, recording };
}

/** A software "AIK": an ECDSA P-256 key pair, its DER SubjectPublicKeyInfo and key id (SHA-1 of the SPKI, hex). */
export interface SoftAik {
  privateKey: KeyObject;
  spki: Uint8Array;
  keyId: string;
}

export function softAik(): SoftAik {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  return { privateKey, spki, keyId: createHash('sha1').update(spki).digest('hex') };
}

const A = (a: Record<string, unknown>) => ({ noskip: false, ...a }) as PaAttribute;

/** The replaying collector (one D-H exchange and one signed quote per connection). */
export function softQuoteImc(rec: Recording, aik: SoftAik): ImcModule {
  const TCG_PTS = PaSubtype.TCG_PTS;
  return {
    name: 'attest-replay',
    subscriptions: [TCG_PTS],
    attributeCodecs: ptsAttributeCodecs,
    connect(): ImcConnection {
      let ke: ReturnType<typeof ptsKeyExchange> | undefined;
      let responderNonce: Uint8Array | undefined;
      let secret: Uint8Array | undefined;
      const answer = (a: PaAttribute): PaAttribute[] => {
        switch (a.kind) {
          case 'tcg/pts-req-proto-caps':
            return [rec.caps];
          case 'tcg/pts-meas-algo':
            return [rec.algoSelection];
          case 'tcg/pts-req-file-meas': {
            const id = (a as PaAttribute & { requestId: number }).requestId;
            const m = rec.fileMeas.get(id);
            if (!m) throw new Error(`attest bench: no recorded file measurement for request ${id}`);
            return [m];
          }
          case 'tcg/pts-dh-nonce-params-req': {
            ke = ptsKeyExchange(rec.dhResponse.dhGroup);
            responderNonce = new Uint8Array(randomBytes(rec.dhResponse.responderNonce.byteLength));
            return [
              A({
                kind: 'tcg/pts-dh-nonce-params-resp',
                dhGroup: rec.dhResponse.dhGroup,
                hashAlgorithms: rec.dhResponse.hashAlgorithms,
                responderNonce,
                responderValue: ke.publicValue(),
              }),
            ];
          }
          case 'tcg/pts-dh-nonce-finish': {
            const f = a as TcgPtsDhNonceFinish;
            if (!ke || !responderNonce) throw new Error('attest bench: D-H Nonce Finish before the parameters');
            ke.receive(f.initiatorValue);
            secret = ptsSecret(f.hashAlgorithm, f.initiatorNonce, responderNonce, ke.sharedSecret());
            ke.dispose();
            ke = undefined;
            return [];
          }
          case 'tcg/pts-get-tpm-version-info':
            return rec.versionInfo ? [rec.versionInfo] : [];
          case 'tcg/pts-get-aik':
            return [A({ kind: 'tcg/pts-aik', naked: true, aik: aik.spki })];
          case 'tcg/pts-gen-attest-evid': {
            if (!secret) throw new Error('attest bench: evidence requested before the D-H nonce');
            const f = rec.final;
            // What TPM2_Quote would sign for this nonce: the verifier rebuilds exactly these bytes.
            const attest = rebuildQuoteAttest(f.tpm2!, f.pcrComposite!, secret);
            const quoteSignature = new Uint8Array(
              sign('sha256', attest, { key: aik.privateKey, dsaEncoding: 'ieee-p1363' }),
            );
            return [...rec.evidence, { ...f, quoteSignature } as PaAttribute];
          }
          default:
            return [];
        }
      };
      return {
        beginHandshake(): OutgoingPa[] {
          return [];
        },
        receive(msg: IncomingPa): OutgoingPa[] {
          const attributes = msg.attributes.flatMap(answer);
          return attributes.length === 0 ? [] : [{ ...TCG_PTS, attributes, to: msg.sourceId }];
        },
      };
    },
  };
}
