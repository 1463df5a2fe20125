/**
 * The TNC server (TNCS) hosting verifiers on one connection: a PB-TNC `TncServerHandler`. IMV ids are assigned in
 * configuration order from 1. The decision is due once every verifier has given a verdict (or when the client falls
 * silent: then the undecided ones are solicited); verdicts are combined by the recommendation policy and mapped onto
 * PB-TNC as strongSwan does (allow → allowed, isolate → quarantined, anything else → denied).
 */
import { reverse, silentLogger } from '../../common/index.ts';
import { ActionRecommendation, AssessmentResult, AssessmentResultName, toPbRecommendation } from '../pb/index.ts';
import type { PbPaMessage, TncDecision, TncServerHandler, TncServerReply } from '../pb/index.ts';
import type { ConnectionContext, ImvConnection, ImvModule, ImvVerdict, OutgoingPa, PaMessageType } from './api.ts';
import { PaCodec } from './host.ts';
import type { HostOptions } from './host.ts';
import { combineVerdicts } from './policy.ts';
import type { RecommendationPolicyValue } from './policy.ts';

export interface TncServerOptions extends HostOptions {
  imvs: readonly ImvModule[];
  context: ConnectionContext;
  /** How verdicts combine (default 'default', the most restrictive wins). */
  policy?: RecommendationPolicyValue;
  /** Language of the reason strings (default 'en'). */
  reasonLanguage?: string;
}

const ActionRecommendationName = reverse(ActionRecommendation);

interface Hosted {
  id: number;
  name: string;
  subscriptions: readonly PaMessageType[];
  conn: ImvConnection;
  verdict: ImvVerdict | undefined;
}

/** A TNC server host: the PB-TNC handler plus each verifier's verdict. */
export interface TncServer extends TncServerHandler {
  readonly context: ConnectionContext;
  /** Verdict per IMV name (of the current handshake). */
  verdicts(): { imv: string; verdict: ImvVerdict | undefined }[];
  /** The combined verdict of the last decision, before mapping onto PB-TNC. */
  readonly final: ImvVerdict | undefined;
}

export function createTncServer(opts: TncServerOptions): TncServer {
  const log = opts.context.log ?? silentLogger;
  const codec = new PaCodec(
    opts,
    log,
    opts.imvs.flatMap((m) => m.attributeCodecs ?? []),
  );
  const policy = opts.policy ?? 'default';
  const language = opts.reasonLanguage ?? 'en';
  const first = opts.firstId ?? 1;
  const hosted: Hosted[] = opts.imvs.map((m, i) => ({
    id: first + i,
    name: m.name,
    subscriptions: m.subscriptions,
    conn: m.connect(opts.context),
    verdict: undefined,
  }));
  let final: ImvVerdict | undefined;
  const send = (h: Hosted, out: OutgoingPa[]) => out.flatMap((o) => codec.encode('imv', h.id, o));
  const decide = (): TncDecision => {
    final = combineVerdicts(
      policy,
      hosted.map((h) => h.verdict!),
    );
    log.info(
      'IMV',
      `policy '${policy}': ${ActionRecommendationName.get(final.recommendation)}, ${AssessmentResultName.get(final.evaluation)}`,
      {
        connection: opts.context.id,
        reasons: final.reasons,
      },
    );
    return {
      recommendation: toPbRecommendation(final.recommendation),
      assessment: final.evaluation,
      reasons: final.reasons.map((reason) => ({ reason, language })),
    };
  };
  return {
    context: opts.context,
    get final() {
      return final;
    },
    verdicts: () => hosted.map((h) => ({ imv: h.name, verdict: h.verdict })),
    async beginHandshake() {
      final = undefined;
      for (const h of hosted) h.verdict = undefined;
      const out: PbPaMessage[] = [];
      for (const h of hosted) out.push(...send(h, await h.conn.beginHandshake()));
      return out;
    },
    async receive(messages: PbPaMessage[]): Promise<TncServerReply> {
      const reply: PbPaMessage[] = [];
      let retry = false;
      for (const m of messages) {
        const routed = codec.route('imv', hosted, m);
        if (!routed) continue;
        if ('answer' in routed) {
          reply.push(...routed.answer);
          continue;
        }
        for (const h of routed.to) {
          const r = await h.conn.receive(routed.msg);
          reply.push(...send(h, r.reply));
          if (r.verdict) h.verdict = r.verdict;
          if (r.retry) retry = true;
        }
      }
      if (retry) return { reply, retry: true };
      if (hosted.every((h) => h.verdict !== undefined)) return { reply, decided: decide() };
      return { reply };
    },
    async solicitRecommendation() {
      for (const h of hosted) {
        h.verdict ??= await h.conn.solicitRecommendation();
      }
      return decide();
    },
  };
}

/** A verdict for verifiers that saw nothing to judge. */
export const noRecommendation = (reason?: string): ImvVerdict => ({
  recommendation: ActionRecommendation.NO_RECOMMENDATION,
  evaluation: AssessmentResult.DONT_KNOW,
  reasons: reason === undefined ? [] : [reason],
});
