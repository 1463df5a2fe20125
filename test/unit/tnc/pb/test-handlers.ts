/**
 * Test IMC/IMV handlers that behave like strongSwan's imc-test / imv-test pair and like the minimal peer that
 * answered in the golden traces (test/vectors/strongswan-6.0.6): the IMC sends one ITA Command attribute in a
 * PA-TNC message with a fixed (injectable) message id, and sends it again when the IMV says "repeat"; the IMV
 * decides from the command it receives.
 */
import {
  ItaPaSubtype,
  Pen,
  encodePaMessage,
  isAttr,
  itaCommand,
  receivePaMessage,
} from '../../../../src/tnc/pa/index.ts';
import type { IetfAssessmentResult, ItaCommand } from '../../../../src/tnc/pa/index.ts';
import { AssessmentResult, PB_PA_ID_ANY, Recommendation } from '../../../../src/tnc/pb/index.ts';
import type {
  AssessmentResultValue,
  PbPaMessage,
  RecommendationValue,
  TncClientHandler,
  TncDecision,
  TncResult,
  TncServerHandler,
  TncServerReply,
} from '../../../../src/tnc/pb/index.ts';

/** Message ids handed out in order (then the last one again), for replaying captured exchanges. */
export function idSequence(...ids: number[]): () => number {
  let i = 0;
  return () => ids[Math.min(i++, ids.length - 1)]!;
}

/** The message id the traces' peer used for every PA-TNC message. */
export const TRACE_MESSAGE_ID = 0x11223344;

export function commandMessage(
  command: string,
  opts: { messageId: number; noskip: boolean; exclusive: boolean; validatorId: number },
): PbPaMessage {
  const attr: ItaCommand = { kind: 'ita/command', noskip: opts.noskip, command };
  const body = encodePaMessage({ messageId: opts.messageId, attributes: [attr] });
  return {
    kind: 'pa',
    exclusive: opts.exclusive,
    paVendor: Pen.ITA,
    paSubtype: ItaPaSubtype.TEST,
    collectorId: 1,
    validatorId: opts.validatorId,
    body,
  };
}

export function commandsIn(messages: PbPaMessage[]): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.paVendor !== Pen.ITA || m.paSubtype !== ItaPaSubtype.TEST) continue;
    const r = receivePaMessage(m.body); // a real IMV would answer r.errors; the test ones just ignore bad messages
    if (!r.ok) continue;
    for (const a of r.message.attributes) if (isAttr(itaCommand, a)) out.push(a.command);
  }
  return out;
}

/** An IMC like imc-test: sends `command` (then `retryCommand` after a retry), repeats it on "repeat". */
export class TestImc implements TncClientHandler {
  readonly results: TncResult[] = [];
  #handshakes = 0;
  readonly #command: string;
  readonly #retryCommand: string;
  readonly #retryOn: RecommendationValue[];
  readonly #ids: () => number;
  readonly #noskip: boolean;

  constructor(opts: {
    command: string;
    retryCommand?: string;
    retryOn?: RecommendationValue[];
    messageIds?: () => number;
    /** Set NOSKIP on the command attribute (strongSwan's imc-test does; the traces' peer did not). */
    noskip?: boolean;
  }) {
    this.#noskip = opts.noskip ?? false;
    this.#command = opts.command;
    this.#retryCommand = opts.retryCommand ?? opts.command;
    this.#retryOn = opts.retryOn ?? [];
    this.#ids = opts.messageIds ?? (() => TRACE_MESSAGE_ID);
  }
  #message(): PbPaMessage {
    const command = this.#handshakes > 1 ? this.#retryCommand : this.#command;
    return commandMessage(command, {
      messageId: this.#ids(),
      noskip: this.#noskip,
      exclusive: false,
      validatorId: PB_PA_ID_ANY,
    });
  }
  beginHandshake(): PbPaMessage[] {
    this.#handshakes++;
    return [this.#message()];
  }
  receive(messages: PbPaMessage[]): PbPaMessage[] {
    return commandsIn(messages).includes('repeat') ? [this.#message()] : [];
  }
  result(result: TncResult): 'retry' | void {
    this.results.push(result);
    if (this.#retryOn.includes(result.recommendation) && this.#handshakes < 2) return 'retry';
  }
}

const verdicts: Record<string, [RecommendationValue, AssessmentResultValue]> = {
  allow: [Recommendation.ACCESS_ALLOWED, AssessmentResult.COMPLIANT],
  isolate: [Recommendation.QUARANTINED, AssessmentResult.NONCOMPLIANT_MINOR],
  block: [Recommendation.ACCESS_DENIED, AssessmentResult.NONCOMPLIANT_MAJOR],
  none: [Recommendation.ACCESS_DENIED, AssessmentResult.NONCOMPLIANT_MAJOR],
};

/**
 * An IMV like imv-test: decides from the command; with `rounds` > 0 it first answers "repeat" that many times
 * (exclusive, with an IETF Assessment Result attribute in the final PA message when `sendAssessment`); "retry"
 * asks for a new handshake (SRETRY) once.
 */
export class TestImv implements TncServerHandler {
  readonly decisions: TncDecision[] = [];
  #rounds: number;
  readonly #initialRounds: number;
  #retried = false;
  readonly #ids: () => number;
  readonly #sendAssessment: boolean;

  constructor(opts: { rounds?: number; messageIds?: () => number; sendAssessment?: boolean } = {}) {
    this.#initialRounds = opts.rounds ?? 0;
    this.#rounds = this.#initialRounds;
    this.#ids = opts.messageIds ?? (() => TRACE_MESSAGE_ID);
    this.#sendAssessment = opts.sendAssessment ?? false;
  }
  beginHandshake(): PbPaMessage[] {
    this.#rounds = this.#initialRounds;
    return [];
  }
  receive(messages: PbPaMessage[]): TncServerReply {
    const commands = commandsIn(messages);
    const command = commands[0];
    if (command === undefined) return { reply: [] };
    if (command === 'retry' && !this.#retried) {
      this.#retried = true;
      return { reply: [], retry: true };
    }
    if (this.#rounds > 0) {
      this.#rounds--;
      return {
        reply: [commandMessage('repeat', { messageId: this.#ids(), noskip: false, exclusive: true, validatorId: 1 })],
      };
    }
    const [recommendation, assessment] = verdicts[command] ?? [Recommendation.ACCESS_DENIED, AssessmentResult.ERROR];
    const decided: TncDecision = { recommendation, assessment };
    this.decisions.push(decided);
    const reply: PbPaMessage[] = [];
    if (this.#sendAssessment) {
      const attr: IetfAssessmentResult = { kind: 'ietf/assessment-result', noskip: false, result: assessment };
      const body = encodePaMessage({ messageId: this.#ids(), attributes: [attr] });
      reply.push({
        kind: 'pa',
        exclusive: true,
        paVendor: Pen.ITA,
        paSubtype: ItaPaSubtype.TEST,
        collectorId: 1,
        validatorId: 1,
        body,
      });
    }
    return { reply, decided };
  }
  solicitRecommendation(): TncDecision {
    const d: TncDecision = { recommendation: Recommendation.ACCESS_DENIED, assessment: AssessmentResult.DONT_KNOW };
    this.decisions.push(d);
    return d;
  }
}
