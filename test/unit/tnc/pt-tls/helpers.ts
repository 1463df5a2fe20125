/**
 * Test helpers for PT-TLS sessions: toy PB-TNC endpoints (opaque ping/pong batches) and a scripted channel that
 * feeds a fixed list of messages and records what the logic writes.
 */
import { utf8 } from '../../../../src/common/bytes.ts';
import type { BatchEndpoint, PtTlsChannel } from '../../../../src/tnc/pt-tls/index.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Client endpoint: sends `ping 0`, answers `pong i` with `ping i+1`, done after `pong rounds-1`. */
export function pingClient(rounds: number): BatchEndpoint & { received: string[] } {
  const received: string[] = [];
  return {
    received,
    first: () => utf8('ping 0'),
    receive(batch) {
      const t = text(batch);
      received.push(t);
      const i = Number(t.split(' ')[1]);
      return i + 1 < rounds ? [utf8(`ping ${i + 1}`)] : [];
    },
    done: () => received.length >= rounds,
  };
}

/** Server endpoint: answers `ping i` with `pong i`; done after answering ping rounds-1. Async on purpose. */
export function pongServer(rounds: number): BatchEndpoint & { received: string[] } {
  const received: string[] = [];
  return {
    received,
    async receive(batch) {
      const t = text(batch);
      received.push(t);
      await new Promise((r) => setImmediate(r));
      return [utf8(t.replace('ping', 'pong'))];
    },
    done: () => received.length >= rounds,
  };
}

/** A channel that returns `inputs` in order, then end of stream; records writes and whether it was closed. */
export function scriptedChannel(inputs: readonly Uint8Array[]): {
  ch: PtTlsChannel;
  written: Uint8Array[];
  closed: () => boolean;
} {
  const written: Uint8Array[] = [];
  let i = 0;
  let closed = false;
  return {
    written,
    closed: () => closed,
    ch: {
      read: async () => inputs[i++] ?? null,
      write: async (m) => {
        written.push(m.slice());
      },
      close: async () => {
        closed = true;
      },
    },
  };
}
