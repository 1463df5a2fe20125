/**
 * Fuzz targets for PA-TNC and PB-TNC: message and batch decoders, a mutual transport server fed arbitrary
 * batches (it must answer with a CLOSE + PB-Error batch or a normal batch, never throw), and IF-M segmentation
 * reassembly. Seeds: the batches of the strongSwan 6.0.6 golden traces and the PA-TNC messages inside them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { equal, fromHex } from '../../src/common/index.ts';
import {
  SegmentationContract,
  decodePaMessage,
  encodePaMessage,
  isAttr,
  itaDummyOfSize,
  receivePaMessage,
  tcgSegmentationEnvelope,
} from '../../src/tnc/pa/index.ts';
import { MutualPbTnc, PbBatchType, decodeBatch, encodeBatch } from '../../src/tnc/pb/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { TestImc, TestImv } from '../unit/tnc/pb/test-handlers.ts';

const vectors = fileURLToPath(new URL('../vectors/strongswan-6.0.6/', import.meta.url));

function traceBatches(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of readdirSync(vectors)) {
    for (const m of readFileSync(vectors + f, 'utf8').matchAll(/^\s+hex: ([0-9a-f]+)$/gm)) out.push(fromHex(m[1]!));
  }
  return out;
}

function paMessages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of traceBatches()) for (const m of decodeBatch(b).messages) if (m.kind === 'pa') out.push(m.body);
  return out;
}

function segmentSeeds(): Uint8Array[] {
  const c = new SegmentationContract({ maxSegmentSize: 40 });
  const envs = c.segmentAll(itaDummyOfSize(150, true));
  return [
    encodePaMessage({ messageId: 7, attributes: envs }),
    encodePaMessage({ messageId: 8, attributes: envs.slice(0, 2) }),
  ];
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`fuzz invariant broken: ${what}`);
}

export const targets: FuzzTarget[] = [
  {
    name: 'pa-message-decode',
    seeds: () => [...paMessages(), ...segmentSeeds()],
    run(input) {
      const r = receivePaMessage(input);
      if (!r.ok) return;
      const again = encodePaMessage(r.message);
      check(equal(encodePaMessage(decodePaMessage(again)), again), 'PA-TNC re-encoding is stable');
    },
  },
  {
    name: 'pb-batch-decode',
    seeds: traceBatches,
    run(input) {
      const d = decodeBatch(input);
      // Reserved bits are not kept, so the canonical form is what must be stable.
      const again = encodeBatch(d);
      check(equal(encodeBatch(decodeBatch(again)), again), 'batch re-encoding is stable');
    },
  },
  {
    name: 'pb-server-session',
    seeds: traceBatches,
    async run(input) {
      const peer = new MutualPbTnc({
        transport: 'server',
        client: new TestImc({ command: 'allow' }),
        server: new TestImv({ rounds: 1 }),
      });
      // Half of the time the arbitrary batch arrives after strongSwan's first CDATA, deeper in the state machine.
      if (input.byteLength % 2 === 1) await peer.receive(traceBatches()[0]!);
      const out = await peer.receive(input);
      check(out.length <= 1, 'at most one answer');
      const failed = peer.serverSession?.sentError ?? peer.clientSession?.sentError;
      if (failed) {
        check(out.length === 1, 'an error is answered');
        const d = decodeBatch(out[0]!);
        check(d.type === PbBatchType.CLOSE && d.messages.some((m) => m.kind === 'error'), 'errors travel in CLOSE');
      }
    },
  },
  {
    name: 'ifm-segmentation-reassembly',
    seeds: segmentSeeds,
    run(input) {
      const msg = decodePaMessage(input);
      const c = new SegmentationContract({ maxReassembledSize: 1 << 16, maxPending: 4 });
      for (const a of msg.attributes) {
        if (!isAttr(tcgSegmentationEnvelope, a)) continue;
        const r = c.receive(a);
        check(!(r.attribute && r.error), 'an attribute or an error, not both');
      }
      check(c.pending.incoming <= 4, 'pending limit');
    },
  },
];
