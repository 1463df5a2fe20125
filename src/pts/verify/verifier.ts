/**
 * The PTS verifier core (IMV side), message-in/message-out over PA-TNC attribute lists, in strongSwan's IMV order:
 *
 *   start      → Request PTS Protocol Capabilities + Measurement Algorithms
 *   caps       ← PTS Protocol Capabilities + Measurement Algorithm Selection
 *              → Request File Measurement (per policy path) + D-H Nonce Parameters Request
 *   nonce      ← File Measurement* + D-H Nonce Parameters Response
 *              → D-H Nonce Finish + Get TPM Version Information + Get AIK
 *   tpm        ← TPM Version Information + AIK
 *              → Request Functional Component Evidence (BIOS, IMA) + Generate Attestation Evidence
 *   evidence   ← Simple Component Evidence* + Simple Evidence Final
 *   done       verdict (evaluate.ts)
 *
 * The attester's answers may arrive spread over several PA messages (the IMC host splits what does not fit in one
 * PB-TNC batch): what a phase needs is accumulated until it is complete — capabilities and algorithm selection,
 * the AIK, the Simple Evidence Final after the Simple Component Evidence — and one request's files may come in
 * several File Measurement attributes, merged (duplicate names refused, `maxFiles` over the total). Arrival order
 * is the attester's answer order, so the File Measurements precede the D-H Nonce Parameters Response.
 *
 * A device without a TPM (no T or D capability) gets only the file measurements. Peer errors, protocol violations
 * and limits end the exchange with a "no access" verdict naming the problem, and malformed values are answered with
 * a PA-TNC error attribute; nothing the peer sends makes this throw. No TPM or measurement I/O here.
 */
import { AttestdError, ConfigError, publish, silentLogger, systemRng, toHex } from '../../common/index.ts';
import type { Logger, Rng } from '../../common/index.ts';
import type { KeyExchange } from '../../crypto/index.ts';
import type { PaAttribute } from '../../tnc/pa/attribute.ts';
import { Pen } from '../../tnc/pa/constants.ts';
import type { IetfPaTncError } from '../../tnc/pa/attrs/ietf/pa-tnc-error.ts';
import {
  PTS_DEFAULT_MEAS_ALGOS,
  PtsDhGroup,
  PtsError,
  PtsErrorName,
  PtsProtoCaps,
  PtsReqFuncCompEvidFlag,
  measAlgoHash,
  selectMeasAlgo,
} from '../constants.ts';
import type { TcgPtsSimpleCompEvid } from '../attrs/simple-component-evidence.ts';
import type { TcgPtsDhNonceParamsResponse } from '../attrs/dh-nonce-params-response.ts';
import type { PtsComponentRequest } from '../attrs/request-functional-component-evidence.ts';
import {
  PTS_MIN_NONCE_LENGTH,
  PTS_NONCE_LENGTH,
  PTS_SUPPORTED_DH_GROUPS,
  ptsKeyExchange,
  ptsSecret,
} from '../dh-nonce.ts';
import { evaluatePtsEvidence } from './evaluate.ts';
import { BIOS_COMPONENT, IMA_COMPONENT, ptsErrorAttribute } from '../components.ts';
import { emptyEvidence } from './evidence.ts';
import type { PtsEvidence, PtsVerdict } from './evidence.ts';
import type { PtsReferences } from './references.ts';
import type { ImaHistory } from './ima-history.ts';

export interface PtsVerifierLimits {
  /** Most file measurements accepted over the exchange (default 100,000). */
  maxFiles?: number;
  /** Most Simple Component Evidence events accepted (default 200,000). */
  maxEvents?: number;
}

/** D-H groups a verifier offers unless told otherwise (see PtsVerifierOptions.dhGroups). */
export const PTS_DEFAULT_OFFERED_DH_GROUPS = PtsDhGroup.IKE19 | PtsDhGroup.IKE14;

/** The groups a verifier configured like strongSwan's `dh_group` offers: that group and the weaker ones we support. */
export function ptsDhGroupsFor(name: string): number {
  switch (name.toLowerCase()) {
    case 'ecp384':
      return PtsDhGroup.IKE20 | PtsDhGroup.IKE19 | PtsDhGroup.IKE14;
    case 'ecp256':
      return PtsDhGroup.IKE19 | PtsDhGroup.IKE14;
    case 'modp2048':
      return PtsDhGroup.IKE14;
    default:
      throw new ConfigError(`PTS D-H group "${name}" is not one of ecp384, ecp256, modp2048`);
  }
}

export interface PtsVerifierOptions {
  references: PtsReferences;
  /** Devices' checkpoints of proved IMA events, shared across exchanges (incremental IMA verification). */
  imaHistory?: ImaHistory;
  /** Files and directories to measure (strongSwan's policy work items). */
  files?: readonly { path: string; directory?: boolean }[];
  /** Functional components to ask evidence of (default both). */
  components?: { bios?: boolean; ima?: boolean };
  /** Offered measurement algorithms (default SHA-384 | SHA-256 | SHA-1). */
  measAlgorithms?: number;
  /**
   * Offered D-H groups (default IKE19 | IKE14: strongSwan's default `dh_group = ecp256`, without the MODP groups
   * below 2048 bits). The attester picks the strongest it supports; ECP-256 is the one every PTS attester has.
   */
  dhGroups?: number;
  limits?: PtsVerifierLimits;
  /**
   * PCRs the quote must cover (default none, as strongSwan: the PCRs the evidence extends). Platforms log at least a
   * separator into PCRs 0–7, so requiring them catches a device that leaves a PCR's events out.
   */
  requiredPcrs?: readonly number[];
  rng?: Rng;
  now?: () => Date;
  log?: Logger;
  /** Device name for logs and the `pts:verdict` diagnostics channel. */
  device?: string;
}

export interface PtsStep {
  /** Attributes to send to the attester (may be empty). */
  send: PaAttribute[];
  /** Set once the exchange is over. */
  verdict?: PtsVerdict;
}

type Phase = 'start' | 'caps' | 'files' | 'nonce' | 'tpm' | 'evidence' | 'done';

class Refusal extends AttestdError {
  readonly error: IetfPaTncError | undefined;
  constructor(message: string, error?: IetfPaTncError) {
    super('ERR_PTS_REFUSED', message);
    this.error = error;
  }
}

export class PtsVerifier {
  readonly #o: PtsVerifierOptions;
  readonly #rng: Rng;
  readonly #log: Logger;
  readonly #ev: PtsEvidence = emptyEvidence();
  #phase: Phase = 'start';
  #ke: KeyExchange | undefined;
  #nonce: Uint8Array | undefined;
  #files = 0;
  /** File names received per request id (duplicates across merged File Measurement attributes are refused). */
  readonly #fileNames = new Map<number, Set<string>>();
  #caps: number | undefined;
  #selection: number | undefined;
  #verdict: PtsVerdict | undefined;

  constructor(o: PtsVerifierOptions) {
    this.#o = o;
    this.#rng = o.rng ?? systemRng;
    this.#log = o.log ?? silentLogger;
    this.#ev.requiredPcrs = [...(o.requiredPcrs ?? [])];
  }

  get phase(): Phase {
    return this.#phase;
  }
  get verdict(): PtsVerdict | undefined {
    return this.#verdict;
  }
  /** The evidence gathered so far (read-only use). */
  get evidence(): Readonly<PtsEvidence> {
    return this.#ev;
  }

  /** The first attributes to send. */
  start(): PaAttribute[] {
    if (this.#phase !== 'start') return [];
    this.#phase = 'caps';
    return [
      {
        kind: 'tcg/pts-req-proto-caps',
        noskip: false,
        flags: PtsProtoCaps.V | PtsProtoCaps.D | PtsProtoCaps.T,
      } as PaAttribute,
      { kind: 'tcg/pts-meas-algo', noskip: false, algorithms: this.#algorithms() } as PaAttribute,
    ];
  }

  #algorithms(): number {
    return this.#o.measAlgorithms ?? PTS_DEFAULT_MEAS_ALGOS;
  }
  #groups(): number {
    return (this.#o.dhGroups ?? PTS_DEFAULT_OFFERED_DH_GROUPS) & PTS_SUPPORTED_DH_GROUPS;
  }

  /** Processes the attester's attributes; answers with the next attributes and, at the end, the verdict. */
  async receive(attrs: readonly PaAttribute[]): Promise<PtsStep> {
    if (this.#phase === 'done') return { send: [], ...(this.#verdict ? { verdict: this.#verdict } : {}) };
    try {
      for (const a of attrs) this.#collect(a);
      return await this.#advance(attrs);
    } catch (e) {
      const reason = e instanceof Refusal ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
      this.#ev.problems.push(reason);
      return this.#finish(e instanceof Refusal && e.error ? [e.error] : []);
    }
  }

  /** Stores what may arrive in any phase: peer errors, file measurements, evidence events. */
  #collect(a: PaAttribute): void {
    switch (a.kind) {
      case 'ietf/pa-tnc-error': {
        const e = a as IetfPaTncError;
        const name =
          e.errorVendor === Pen.TCG
            ? (PtsErrorName.get(e.errorCode) ?? `${e.errorCode}`)
            : `${e.errorVendor}/${e.errorCode}`;
        throw new Refusal(`the attester reported PA-TNC error ${name}`);
      }
      case 'tcg/pts-file-meas': {
        const m = a as PaAttribute & { requestId: number; files: { filename: string; measurement: Uint8Array }[] };
        const max = this.#o.limits?.maxFiles ?? 100_000;
        this.#files += m.files.length;
        if (this.#files > max) throw new Refusal(`more than ${max} file measurements: exchange cut off`);
        if (!this.#ev.fileRequests.some((r) => r.requestId === m.requestId))
          throw new Refusal(
            `file measurement for unknown request id ${m.requestId}`,
            ptsErrorAttribute(PtsError.INVALID_PATH),
          );
        // One request may be answered by several attributes (a directory too large for one batch): merged.
        let names = this.#fileNames.get(m.requestId);
        if (!names) this.#fileNames.set(m.requestId, (names = new Set()));
        for (const f of m.files) {
          if (names.has(f.filename))
            throw new Refusal(`file measurement request ${m.requestId} names ${JSON.stringify(f.filename)} twice`);
          names.add(f.filename);
        }
        const merged = this.#ev.fileResults.get(m.requestId);
        if (merged) merged.push(...m.files);
        else this.#ev.fileResults.set(m.requestId, [...m.files]);
        return;
      }
      case 'tcg/pts-simple-comp-evid': {
        if (this.#phase !== 'evidence') throw new Refusal('Simple Component Evidence before evidence was requested');
        const max = this.#o.limits?.maxEvents ?? 200_000;
        if (this.#ev.components.length >= max) throw new Refusal(`more than ${max} evidence events: exchange cut off`);
        this.#ev.components.push(a as TcgPtsSimpleCompEvid);
        return;
      }
      default:
        return;
    }
  }

  async #advance(attrs: readonly PaAttribute[]): Promise<PtsStep> {
    const find = <K extends string>(kind: K) => attrs.find((a) => a.kind === kind);
    switch (this.#phase) {
      case 'start':
        throw new Refusal('attributes received before the exchange started');
      case 'caps': {
        const caps = find('tcg/pts-proto-caps') as (PaAttribute & { flags: number }) | undefined;
        const sel = find('tcg/pts-meas-algo-selection') as (PaAttribute & { algorithms: number }) | undefined;
        if (caps) this.#caps = caps.flags;
        if (sel) this.#selection = sel.algorithms;
        // The two answers may come in separate messages; a message with neither is not an answer.
        if (this.#caps === undefined || this.#selection === undefined) {
          if (caps || sel) return { send: [] };
          throw new Refusal('the attester did not answer with its capabilities and algorithm selection');
        }
        const flags = this.#caps;
        const selected = this.#selection;
        if (!measAlgoHash(selected) || !(selected & this.#algorithms()))
          throw new Refusal(
            `selected measurement algorithm 0x${selected.toString(16)} was not offered`,
            ptsErrorAttribute(PtsError.HASH_ALG_NOT_SUPPORTED),
          );
        this.#ev.protoCaps = flags;
        this.#ev.measAlgorithm = selected;
        const send: PaAttribute[] = [];
        (this.#o.files ?? []).forEach((f, i) => {
          const req = { requestId: i + 1, path: f.path, directory: f.directory ?? false };
          this.#ev.fileRequests.push(req);
          send.push({ kind: 'tcg/pts-req-file-meas', noskip: true, ...req, delimiter: 0x2f } as PaAttribute);
        });
        const wantsTpm = (this.#o.components?.bios ?? true) || (this.#o.components?.ima ?? true);
        const canTpm = (flags & PtsProtoCaps.T) !== 0 && (flags & PtsProtoCaps.D) !== 0;
        if (wantsTpm && !canTpm) this.#ev.problems.push('the attester offers no TPM with D-H nonce negotiation');
        if (wantsTpm && canTpm) {
          this.#ev.expectQuote = true;
          send.push({
            kind: 'tcg/pts-dh-nonce-params-req',
            noskip: false,
            minNonceLength: PTS_MIN_NONCE_LENGTH,
            dhGroups: this.#groups(),
          } as PaAttribute);
          this.#phase = 'nonce';
          return { send };
        }
        this.#phase = 'files';
        return send.length && !this.#filesDone() ? { send } : this.#finish(send);
      }
      case 'files':
        return this.#filesDone() ? this.#finish([]) : { send: [] };
      case 'nonce': {
        const resp = find('tcg/pts-dh-nonce-params-resp') as TcgPtsDhNonceParamsResponse | undefined;
        if (!resp) return { send: [] };
        return { send: this.#finishNonce(resp) };
      }
      case 'tpm': {
        const ver = find('tcg/pts-tpm-version-info') as (PaAttribute & { info: Uint8Array }) | undefined;
        const aik = find('tcg/pts-aik') as (PaAttribute & { naked: boolean; aik: Uint8Array }) | undefined;
        if (ver) this.#ev.tpmVersionInfo = ver.info;
        if (aik) this.#ev.aik = { naked: aik.naked, data: aik.aik };
        if (!this.#ev.aik) return { send: [] };
        const components: PtsComponentRequest[] = [];
        const flags = PtsReqFuncCompEvidFlag.PCR;
        if (this.#o.components?.bios ?? true) components.push({ flags, depth: 0, name: BIOS_COMPONENT });
        if (this.#o.components?.ima ?? true) components.push({ flags, depth: 0, name: IMA_COMPONENT });
        this.#phase = 'evidence';
        return {
          send: [
            { kind: 'tcg/pts-req-func-comp-evid', noskip: true, components } as PaAttribute,
            { kind: 'tcg/pts-gen-attest-evid', noskip: true } as PaAttribute,
          ],
        };
      }
      case 'evidence': {
        const final = find('tcg/pts-simple-evid-final');
        if (!final) return { send: [] };
        this.#ev.final = final as PtsEvidence['final'];
        return this.#finish([]);
      }
      case 'done':
        return { send: [] };
    }
  }

  #filesDone(): boolean {
    return this.#ev.fileRequests.every((r) => this.#ev.fileResults.has(r.requestId));
  }

  #finishNonce(resp: TcgPtsDhNonceParamsResponse): PaAttribute[] {
    if (!(resp.dhGroup & this.#groups()) || Object.values(PtsDhGroup).every((g) => g !== resp.dhGroup))
      throw new Refusal(
        `D-H group 0x${resp.dhGroup.toString(16)} was not offered`,
        ptsErrorAttribute(PtsError.DH_GRPS_NOT_SUPPORTED),
      );
    if (resp.responderNonce.byteLength < PTS_MIN_NONCE_LENGTH)
      throw new Refusal(
        `responder nonce of ${resp.responderNonce.byteLength} bytes is shorter than ${PTS_MIN_NONCE_LENGTH}`,
        ptsErrorAttribute(PtsError.BAD_NONCE_LENGTH),
      );
    const hashAlgorithm = selectMeasAlgo(this.#algorithms(), resp.hashAlgorithms);
    if (hashAlgorithm === undefined)
      throw new Refusal('no common D-H nonce hash algorithm', ptsErrorAttribute(PtsError.HASH_ALG_NOT_SUPPORTED));
    const ke = ptsKeyExchange(resp.dhGroup, this.#rng);
    this.#ke = ke;
    const ours = ke.publicValue();
    try {
      ke.receive(resp.responderValue);
    } catch (e) {
      throw new Refusal(
        `D-H responder public value rejected (${e instanceof Error ? e.message : String(e)})`,
        ptsErrorAttribute(PtsError.DH_GRPS_NOT_SUPPORTED),
      );
    }
    const initiatorNonce = this.#rng(PTS_NONCE_LENGTH);
    this.#nonce = ptsSecret(hashAlgorithm, initiatorNonce, resp.responderNonce, ke.sharedSecret());
    ke.dispose();
    this.#ke = undefined;
    this.#log.debug('PTS', 'D-H nonce agreed', { nonce: toHex(this.#nonce) });
    this.#phase = 'tpm';
    return [
      {
        kind: 'tcg/pts-dh-nonce-finish',
        noskip: false,
        hashAlgorithm,
        initiatorValue: ours,
        initiatorNonce,
      } as PaAttribute,
      { kind: 'tcg/pts-get-tpm-version-info', noskip: false } as PaAttribute,
      { kind: 'tcg/pts-get-aik', noskip: false } as PaAttribute,
    ];
  }

  async #finish(send: PaAttribute[]): Promise<PtsStep> {
    this.#phase = 'done';
    this.#ke?.dispose();
    const verdict = await evaluatePtsEvidence({
      evidence: this.#ev,
      references: this.#o.references,
      nonce: this.#nonce,
      now: (this.#o.now ?? (() => new Date()))(),
      ...(this.#o.imaHistory ? { imaHistory: this.#o.imaHistory } : {}),
    });
    this.#verdict = verdict;
    const device = this.#o.device ?? verdict.aikKeyId ?? 'unknown';
    publish('pts:verdict', { device, ok: verdict.reasons.length === 0, reasons: verdict.reasons });
    this.#log.info('PTS', verdict.reasons.length ? 'attestation failed' : 'attestation passed', {
      device,
      reasons: verdict.reasons,
    });
    return { send, verdict };
  }
}
