/**
 * Fuzz targets for the ESP data plane's entry points that take untrusted bytes: ESP-in-UDP datagrams from the
 * network (`inbound`: SPI lookup, replay pre-check, ICV, padding, inner IP header and selectors), packets from the
 * TUN device (`outbound`: IP header parse, SPD lookup, MTU), and the IP header parser. Nothing may escape but
 * declared errors; the engine itself must never throw.
 * Seeds are real packets sealed by a peer engine (valid ESP for each suite, with and without ESN).
 */
import { Writer } from '../../src/common/bytes.ts';
import { StateError } from '../../src/common/errors.ts';
import { parseIp } from '../../src/esp/ip.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { pair, udp4 } from '../unit/esp/pair.ts';

const suites = ['aes256gcm16', 'aes128-sha256', 'chacha20poly1305'] as const;
const pairs = suites.map((suite, i) => pair({ suite, esn: i === 1, spi: 0xc0000100 + i * 16 }));

function never(kind: string): never {
  throw new StateError(`engine returned ${kind}`);
}

export const targets: FuzzTarget[] = [
  {
    name: 'esp-inbound',
    seeds() {
      const out: Uint8Array[] = [];
      for (const { a } of pairs)
        for (const n of [0, 1, 40, 200]) {
          const r = a.outbound(udp4('10.1.0.1', '10.2.0.1', new Uint8Array(n).fill(n)));
          if (r.kind === 'esp') out.push(r.packet);
        }
      out.push(new Writer(8).u32(pairs[0]!.cfgA.spiOut).u32(1).finish(), new Uint8Array([0xff]));
      return out;
    },
    run(input) {
      // Every input goes to every suite's receiver (each holds SPIs of one pair).
      for (const { b } of pairs) {
        const r = b.inbound(input);
        if (r.kind !== 'ip' && r.kind !== 'drop') never(String((r as { kind: string }).kind));
      }
    },
  },
  {
    name: 'esp-outbound',
    seeds: () => [
      udp4('10.1.0.1', '10.2.0.1', new Uint8Array(30)),
      udp4('10.1.0.1', '10.2.0.1', new Uint8Array(1470)),
      udp4('10.1.0.1', '10.2.0.1', new Uint8Array(3), { df: false }),
    ],
    run(input) {
      const r = pairs[0]!.a.outbound(input);
      if (r.kind !== 'esp' && r.kind !== 'icmp' && r.kind !== 'drop') never('unknown');
    },
  },
  {
    name: 'ip-header',
    seeds: () => [udp4('10.1.0.1', '10.2.0.1', new Uint8Array(8)), new Uint8Array([0x60, ...new Uint8Array(39)])],
    run(input) {
      parseIp(input);
    },
  },
];
