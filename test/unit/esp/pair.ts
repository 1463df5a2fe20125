/**
 * Test helper: two ESP engines sharing a CHILD_SA (keys from a seeded rng), as if IKE had installed it on both
 * ends: `a` protects 10.1.0.0/24 → 10.2.0.0/24 traffic for `b` and back.
 */
import { Writer } from '../../../src/common/bytes.ts';
import { seededRng } from '../../../src/common/rng.ts';
import { Encr, Integ } from '../../../src/crypto/ids.ts';
import type { Suite } from '../../../src/crypto/types.ts';
import { EspEngine } from '../../../src/esp/engine.ts';
import type { EspEngineOptions } from '../../../src/esp/engine.ts';
import { ipToBytes } from '../../../src/common/ip.ts';
import { inetChecksum, IpProto } from '../../../src/esp/ip.ts';
import type { EspEvent, EspLifetimes, EspSaConfig, EspSelector } from '../../../src/esp/types.ts';

export const SUITES: Record<string, { suite: Suite; encr: number; integ: number }> = {
  aes256gcm16: { suite: { encr: { id: Encr.AES_GCM_16, keyLength: 256 } }, encr: 36, integ: 0 },
  'aes128-sha256': {
    suite: { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128 },
    encr: 16,
    integ: 32,
  },
  chacha20poly1305: { suite: { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 } }, encr: 36, integ: 0 },
};

export function ts(start: string, end = start, ipProtocol = 0, startPort = 0, endPort = 0xffff): EspSelector {
  return { tsType: 7, ipProtocol, startPort, endPort, startAddr: ipToBytes(start), endAddr: ipToBytes(end) };
}

export interface PairOptions {
  suite?: keyof typeof SUITES;
  esn?: boolean;
  mode?: 'tunnel' | 'transport';
  lifetimes?: Partial<EspLifetimes>;
  engine?: EspEngineOptions;
  spi?: number;
}

export function pair(o: PairOptions = {}): {
  a: EspEngine;
  b: EspEngine;
  cfgA: EspSaConfig;
  events: { a: EspEvent[]; b: EspEvent[] };
} {
  const s = SUITES[o.suite ?? 'aes256gcm16']!;
  const rng = seededRng(`pair-${o.suite}-${o.spi ?? 0}`);
  const [e1, i1, e2, i2] = [rng(s.encr), rng(s.integ), rng(s.encr), rng(s.integ)];
  const suite: Suite = { ...s.suite, esn: o.esn ? 1 : 0 };
  const spiA = o.spi ?? 0xc0000101;
  const spiB = (spiA + 1) >>> 0;
  const lifetimes: EspLifetimes = { softBytes: 0, hardBytes: 0, softPackets: 0, hardPackets: 0, ...o.lifetimes };
  const mode = o.mode ?? 'tunnel';
  const transport = mode === 'transport';
  const base = { name: 'ch', id: 1, mode, suite, esn: o.esn ?? false, encap: true, lifetimes };
  const cfgA: EspSaConfig = {
    ...base,
    spiIn: spiA,
    spiOut: spiB,
    encrIn: e2.slice(),
    integIn: i2.slice(),
    encrOut: e1.slice(),
    integOut: i1.slice(),
    localTs: [transport ? ts('10.99.0.1') : ts('10.1.0.0', '10.1.0.255')],
    remoteTs: [transport ? ts('10.99.0.2') : ts('10.2.0.0', '10.2.0.255')],
    local: { address: '10.99.0.1', port: 4500 },
    remote: { address: '10.99.0.2', port: 4500 },
  };
  const cfgB: EspSaConfig = {
    ...base,
    spiIn: spiB,
    spiOut: spiA,
    encrIn: e1.slice(),
    integIn: i1.slice(),
    encrOut: e2.slice(),
    integOut: i2.slice(),
    localTs: cfgA.remoteTs,
    remoteTs: cfgA.localTs,
    local: cfgA.remote,
    remote: cfgA.local,
  };
  const events = { a: [] as EspEvent[], b: [] as EspEvent[] };
  const a = new EspEngine({ rng: seededRng('a'), ...o.engine, onEvent: (e) => events.a.push(e) });
  const b = new EspEngine({ rng: seededRng('b'), ...o.engine, onEvent: (e) => events.b.push(e) });
  a.install(cfgA);
  b.install(cfgB);
  return { a, b, cfgA, events };
}

/** An IPv4 UDP packet (checksummed header) with `payload`. */
export function udp4(
  src: string,
  dst: string,
  payload: Uint8Array,
  opts: { df?: boolean; sport?: number; dport?: number } = {},
): Uint8Array {
  const total = 20 + 8 + payload.byteLength;
  const hdr = (sum: number) =>
    new Writer(20)
      .u8(0x45)
      .u8(0)
      .u16(total)
      .u16(1)
      .u16(opts.df === false ? 0 : 0x4000)
      .u8(64)
      .u8(IpProto.UDP)
      .u16(sum)
      .bytes(ipToBytes(src))
      .bytes(ipToBytes(dst))
      .finish();
  return new Writer(total)
    .bytes(hdr(inetChecksum(hdr(0))))
    .u16(opts.sport ?? 1234)
    .u16(opts.dport ?? 5678)
    .u16(8 + payload.byteLength)
    .u16(0)
    .bytes(payload)
    .finish();
}
