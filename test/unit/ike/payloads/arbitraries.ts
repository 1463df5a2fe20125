/** fast-check arbitraries of valid IKEv2 payload values, shared by the payload, message and fuzz tests. */
import fc from 'fast-check';
import type { Transform } from '../../../../src/crypto/types.ts';
import type { Payload, Proposal, TrafficSelector } from '../../../../src/ike/payloads/types.ts';
import { PayloadType, TsType } from '../../../../src/ike/payloads/types.ts';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
/** fc.record with plain objects (deepEqual against decoded values needs Object prototypes). */
function rec<T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model).map((o) => ({ ...o }) as T);
}
const critical = fc.option(fc.constant(true), { nil: undefined });

export const transformArb: fc.Arbitrary<Transform> = fc
  .record({ type: fc.integer({ min: 1, max: 12 }), id: u16, keyLength: fc.option(u16, { nil: undefined }) })
  .map(({ type, id, keyLength }) => (keyLength === undefined ? { type, id } : { type, id, keyLength }));

export const proposalArb: fc.Arbitrary<Proposal> = rec({
  num: fc.integer({ min: 1, max: 255 }),
  protocol: fc.integer({ min: 1, max: 3 }),
  spi: fc.oneof(bytes(0, 0), bytes(4, 4), bytes(8, 8)),
  transforms: fc.array(transformArb, { minLength: 1, maxLength: 12 }),
});

export const selectorArb: fc.Arbitrary<TrafficSelector> = fc
  .tuple(fc.boolean(), u8, u16, u16, bytes(16, 16), bytes(16, 16))
  .map(([v6, ipProtocol, startPort, endPort, a, b]) => {
    const n = v6 ? 16 : 4;
    return {
      tsType: v6 ? TsType.TS_IPV6_ADDR_RANGE : TsType.TS_IPV4_ADDR_RANGE,
      ipProtocol,
      startPort,
      endPort,
      startAddr: a.slice(0, n),
      endAddr: b.slice(0, n),
    };
  });

function eapMessage(code: number, id: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.byteLength);
  out[0] = code;
  out[1] = id;
  out[2] = (out.byteLength >> 8) & 0xff;
  out[3] = out.byteLength & 0xff;
  out.set(body, 4);
  return out;
}

/** Any known payload with valid contents, plus unknown non-critical ones. */
export const payloadArb: fc.Arbitrary<Payload> = fc
  .oneof(
    rec({
      type: fc.constant(PayloadType.SA),
      proposals: fc.array(proposalArb, { minLength: 1, maxLength: 4 }),
      critical,
    }),
    rec({ type: fc.constant(PayloadType.KE), group: u16, data: bytes(0, 300), critical }),
    rec({ type: fc.constantFrom(PayloadType.IDi, PayloadType.IDr), idType: u8, data: bytes(0, 64), critical }),
    rec({ type: fc.constant(PayloadType.CERT), encoding: u8, data: bytes(0, 300), critical }),
    rec({ type: fc.constant(PayloadType.CERTREQ), encoding: u8, data: bytes(0, 100), critical }),
    rec({ type: fc.constant(PayloadType.AUTH), method: u8, data: bytes(0, 100), critical }),
    rec({ type: fc.constant(PayloadType.NONCE), data: bytes(16, 256), critical }),
    rec({
      type: fc.constant(PayloadType.NOTIFY),
      protocol: fc.integer({ min: 0, max: 3 }),
      spi: fc.oneof(bytes(0, 0), bytes(4, 4), bytes(8, 8)),
      notifyType: u16,
      data: bytes(0, 64),
      critical,
    }),
    fc.oneof(
      rec({ type: fc.constant(PayloadType.DELETE), protocol: fc.constant(1), spis: fc.constant([]), critical }),
      rec({
        type: fc.constant(PayloadType.DELETE),
        protocol: fc.constantFrom(2, 3),
        spis: fc.array(bytes(4, 4), { minLength: 1, maxLength: 8 }),
        critical,
      }),
    ),
    rec({ type: fc.constant(PayloadType.VENDOR), data: bytes(0, 40), critical }),
    rec({
      type: fc.constantFrom(PayloadType.TSi, PayloadType.TSr),
      selectors: fc.array(selectorArb, { minLength: 1, maxLength: 5 }),
      critical,
    }),
    rec({
      type: fc.constant(PayloadType.CP),
      cfgType: fc.integer({ min: 1, max: 4 }),
      attributes: fc.array(rec({ type: fc.integer({ min: 0, max: 0x7fff }), value: bytes(0, 20) }), { maxLength: 6 }),
      critical,
    }),
    rec({
      type: fc.constant(PayloadType.EAP),
      data: fc.tuple(fc.integer({ min: 1, max: 4 }), u8, bytes(0, 100)).map(([c, i, b]) => eapMessage(c, i, b)),
      critical,
    }),
    rec({
      type: fc.integer({ min: 128, max: 255 }),
      unknown: fc.constant(true as const),
      critical: fc.constant(false),
      data: bytes(0, 40),
    }),
  )
  .map((p) => {
    const q = { ...p } as Payload;
    if (q.critical === undefined) delete q.critical;
    return q;
  });

export const payloadsArb: fc.Arbitrary<Payload[]> = fc.array(payloadArb, { maxLength: 8 });
