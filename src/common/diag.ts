/**
 * Diagnostics channels (STYLE practice 11): named events that tests, the metrics endpoint and the demo's report
 * subscribe to without the protocol code knowing who listens.
 */
import diagnostics_channel from 'node:diagnostics_channel';

/** Every channel the project publishes, with the shape of its message. */
export interface DiagChannels {
  'ike:sa:established': { spi: string; peer: string; name: string };
  'ike:sa:deleted': { spi: string; peer: string; reason: string };
  'ike:sa:rekeyed': { oldSpi: string; newSpi: string };
  'ike:child:established': { name: string; spiIn: number; spiOut: number };
  'ike:child:deleted': { name: string; spiIn: number };
  'ike:message': { dir: 'in' | 'out'; exchange: string; mid: number; bytes: number; peer: string };
  'ike:error': { peer: string; error: string };
  'esp:replay': { spi: number; seq: bigint };
  'esp:icv': { spi: number };
  'tnc:recommendation': { connection: string; recommendation: string; reasons: string[] };
  /** The daemon's enforcement of its verifiers' verdict on an IKE peer (one per attested IKE_SA). */
  'attest:verdict': {
    connection: string;
    ike: string;
    peerId: string;
    remote: string;
    decision: 'allow' | 'isolate' | 'no access';
    reasons: string[];
  };
  'tnc:batch': { dir: 'in' | 'out'; type: string; bytes: number };
  'pts:verdict': { device: string; ok: boolean; reasons: string[] };
  'tpm:command': { cc: string; ms: number; rc: number };
}

export type DiagName = keyof DiagChannels;

export function publish<N extends DiagName>(name: N, message: DiagChannels[N]): void {
  const ch = diagnostics_channel.channel(name);
  if (ch.hasSubscribers) ch.publish(message);
}

/** Subscribes; returns the function that unsubscribes. */
export function subscribe<N extends DiagName>(name: N, fn: (message: DiagChannels[N]) => void): () => void {
  const handler = (m: unknown) => fn(m as DiagChannels[N]);
  diagnostics_channel.subscribe(name, handler);
  return () => diagnostics_channel.unsubscribe(name, handler);
}
