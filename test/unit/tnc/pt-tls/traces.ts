/**
 * Reader for the strongSwan 6.0.6 PT-TLS traces in ./vectors (copied from /work/shared/vectors; captured with
 * strongSwan's pt-tls-client --mutual against a minimal PT-TLS/PB-TNC peer on a loopback test bed).
 * `<-` lines are what strongSwan sent (raw= is a whole PT-TLS message), `->` lines what the peer answered and
 * strongSwan accepted (whole PT-TLS messages, or PB-TNC batches given by their `hex:` line).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../../../src/common/bytes.ts';

export type TraceEvent =
  | { from: 'strongswan'; type: number; id: number; raw: Uint8Array; batch?: Uint8Array }
  | { from: 'peer'; label: string; raw: Uint8Array }
  | { from: 'peer'; label: 'PB-TNC batch'; batch: Uint8Array };

export interface Trace {
  file: string;
  tls: string;
  events: TraceEvent[];
}

export const TRACE_FILES = [
  'strongswan-trace_nonmutual_pttls.txt',
  'strongswan-trace_mutual_pttls.txt',
  'strongswan-trace_sasl_mutual_pttls.txt',
] as const;

export function readTrace(file: string): Trace {
  const lines = readFileSync(join(import.meta.dirname, 'vectors', file), 'utf8').split('\n');
  const events: TraceEvent[] = [];
  let tls = '';
  let pending: 'in' | 'out' | undefined;
  for (const line of lines) {
    if (line.startsWith('TLS ')) tls = line;
    let m = /^<- PT-TLS vendor=0 type=(\d+) id=(\d+) raw=([0-9a-f]+)$/.exec(line);
    if (m) {
      events.push({ from: 'strongswan', type: Number(m[1]), id: Number(m[2]), raw: fromHex(m[3] as string) });
      continue;
    }
    if (line.startsWith('<- PB-TNC batch')) pending = 'in';
    else if (line.startsWith('-> PB-TNC batch')) pending = 'out';
    else if ((m = /^-> (.*\S) ([0-9a-f]{32,})$/.exec(line))) {
      events.push({ from: 'peer', label: m[1] as string, raw: fromHex(m[2] as string) });
    } else if ((m = /^\s+hex: ([0-9a-f]+)$/.exec(line)) && pending) {
      const batch = fromHex(m[1] as string);
      if (pending === 'out') events.push({ from: 'peer', label: 'PB-TNC batch', batch });
      else {
        const last = events.at(-1);
        if (last?.from === 'strongswan') last.batch = batch;
      }
      pending = undefined;
    }
  }
  return { file, tls, events };
}
