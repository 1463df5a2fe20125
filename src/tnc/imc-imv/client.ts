/**
 * The TNC client (TNCC) hosting collectors on one connection: a PB-TNC `TncClientHandler`, so it runs over PT-TLS,
 * PT-EAP or in process alike. IMC ids are assigned in configuration order from 1.
 */
import { silentLogger } from '../../common/index.ts';
import type { PbPaMessage, TncClientHandler, TncResult } from '../pb/index.ts';
import type { ConnectionContext, ImcConnection, ImcModule, OutgoingPa, PaMessageType } from './api.ts';
import { PaCodec } from './host.ts';
import type { HostOptions } from './host.ts';

export interface TncClientOptions extends HostOptions {
  imcs: readonly ImcModule[];
  context: ConnectionContext;
}

interface Hosted {
  id: number;
  name: string;
  subscriptions: readonly PaMessageType[];
  conn: ImcConnection;
}

/** A TNC client host: the PB-TNC handler plus what it learned. */
export interface TncClient extends TncClientHandler {
  readonly context: ConnectionContext;
  /** Server results received, in order (one per handshake). */
  readonly results: readonly TncResult[];
  /** IMC name → id. */
  readonly ids: ReadonlyMap<string, number>;
}

export function createTncClient(opts: TncClientOptions): TncClient {
  const log = opts.context.log ?? silentLogger;
  const codec = new PaCodec(
    opts,
    log,
    opts.imcs.flatMap((m) => m.attributeCodecs ?? []),
  );
  const first = opts.firstId ?? 1;
  const hosted: Hosted[] = opts.imcs.map((m, i) => ({
    id: first + i,
    name: m.name,
    subscriptions: m.subscriptions,
    conn: m.connect(opts.context),
  }));
  const results: TncResult[] = [];
  const send = (h: Hosted, out: OutgoingPa[]) => out.flatMap((o) => codec.encode('imc', h.id, o));
  return {
    context: opts.context,
    results,
    ids: new Map(hosted.map((h) => [h.name, h.id])),
    async beginHandshake() {
      const out: PbPaMessage[] = [];
      for (const h of hosted) out.push(...send(h, await h.conn.beginHandshake()));
      return out;
    },
    async receive(messages: PbPaMessage[]) {
      const replies: PbPaMessage[] = [];
      for (const m of messages) {
        const routed = codec.route('imc', hosted, m);
        if (!routed) continue;
        if ('answer' in routed) {
          replies.push(...routed.answer);
          continue;
        }
        for (const h of routed.to) replies.push(...send(h, await h.conn.receive(routed.msg)));
      }
      return replies;
    },
    async result(result: TncResult) {
      results.push(result);
      let retry = false;
      for (const h of hosted) if ((await h.conn.result?.(result)) === 'retry') retry = true;
      return retry ? 'retry' : undefined;
    },
  };
}
