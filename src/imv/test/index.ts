/**
 * The test verifier, behaving like strongSwan's imv-test (src/libimcv/plugins/imv_test/imv_test_agent.c): it
 * decides from the ITA Command it receives — allow → allow/compliant, isolate → isolate/non-compliant minor,
 * block or none → no access/non-compliant major, retry → a handshake retry (once per connection here, where
 * strongSwan would loop), anything else → no recommendation/error. With `rounds` > 0 it first answers "repeat"
 * (exclusive) that many times per IMC; its final reply is an exclusive IETF Assessment Result.
 */
import { ConfigError } from '../../common/index.ts';
import { EvaluationResult, isAttr, itaCommand } from '../../tnc/pa/index.ts';
import type { IetfAssessmentResult, ItaCommand } from '../../tnc/pa/index.ts';
import { ActionRecommendation, AssessmentResult } from '../../tnc/pb/index.ts';
import type { ImvConnection, ImvModule, ImvReply, ImvVerdict, IncomingPa } from '../../tnc/imc-imv/index.ts';

export interface TestImvConfig {
  /** Measurement rounds per IMC before deciding (strongSwan's imv-test `rounds`, default 0). */
  rounds?: number;
}

const ITA_TEST = { vendor: 0x00902a, subtype: 1 } as const;

export function verdictFor(command: string): ImvVerdict {
  switch (command) {
    case 'allow':
      return { recommendation: ActionRecommendation.ALLOW, evaluation: AssessmentResult.COMPLIANT, reasons: [] };
    case 'isolate':
      return {
        recommendation: ActionRecommendation.ISOLATE,
        evaluation: AssessmentResult.NONCOMPLIANT_MINOR,
        reasons: ["Test IMV: the IMC's command is 'isolate'"],
      };
    case 'block':
    case 'none':
      return {
        recommendation: ActionRecommendation.NO_ACCESS,
        evaluation: AssessmentResult.NONCOMPLIANT_MAJOR,
        reasons: [`Test IMV: the IMC's command is '${command}'`],
      };
    default:
      return {
        recommendation: ActionRecommendation.NO_RECOMMENDATION,
        evaluation: AssessmentResult.ERROR,
        reasons: [`Test IMV: unsupported ITA Command '${command}'`],
      };
  }
}

export function createTestImv(config: TestImvConfig = {}): ImvModule {
  const rounds = config.rounds ?? 0;
  if (!Number.isInteger(rounds) || rounds < 0 || rounds > 1000)
    throw new ConfigError('imv test: rounds must be 0..1000');
  return {
    name: 'test',
    subscriptions: [ITA_TEST],
    connect(): ImvConnection {
      const left = new Map<number, number>();
      let retried = false;
      let received = false;
      return {
        beginHandshake() {
          left.clear();
          received = false;
          return [];
        },
        receive(msg: IncomingPa): ImvReply {
          if (!left.has(msg.sourceId)) left.set(msg.sourceId, rounds);
          const command = msg.attributes.find((a): a is ItaCommand => isAttr(itaCommand, a))?.command;
          if (command === undefined) return { reply: [] };
          received = true;
          if (command === 'retry' && !retried) {
            retried = true;
            return { reply: [], retry: true };
          }
          const n = left.get(msg.sourceId)!;
          if (n > 0) {
            left.set(msg.sourceId, n - 1);
            const repeat: ItaCommand = { kind: 'ita/command', noskip: false, command: 'repeat' };
            return { reply: [{ ...ITA_TEST, attributes: [repeat], to: msg.sourceId }] };
          }
          const verdict =
            command === 'retry'
              ? {
                  recommendation: ActionRecommendation.NO_RECOMMENDATION,
                  evaluation: AssessmentResult.ERROR,
                  reasons: ['Test IMV: handshake retry already done'],
                }
              : verdictFor(command);
          const assessment: IetfAssessmentResult = {
            kind: 'ietf/assessment-result',
            noskip: false,
            result: verdict.evaluation,
          };
          return { reply: [{ ...ITA_TEST, attributes: [assessment], to: msg.sourceId }], verdict };
        },
        solicitRecommendation() {
          return {
            recommendation: ActionRecommendation.NO_RECOMMENDATION,
            evaluation: received ? EvaluationResult.ERROR : AssessmentResult.DONT_KNOW,
            reasons: ['Test IMV: no ITA Command received'],
          };
        },
      };
    },
  };
}

/** Module entry point (built-in name `test`). */
export function createImv(raw: Record<string, unknown>): ImvModule {
  const rounds = raw.rounds;
  if (rounds !== undefined && typeof rounds !== 'number') throw new ConfigError('imv test: rounds must be a number');
  return createTestImv(rounds === undefined ? {} : { rounds });
}
