/**
 * A real IKE_SA_INIT request of strongSwan 5.9.8 (vectors/strongswan-5.9.8-ike-sa-init-request.txt, see its
 * header for how it was captured): decoded payload by payload, accepted by the rules, re-encoded byte for byte, and
 * charon's payload order reproduced by sortPayloads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../../../src/common/bytes.ts';
import { VerifyError } from '../../../../src/common/errors.ts';
import {
  checkRules,
  decodeMessage,
  encodeMessage,
  first,
  FragmentReassembler,
  idToString,
  notify,
  sortPayloads,
  tsToString,
} from '../../../../src/ike/message/index.ts';
import { GcmSkDouble } from './sk-double.ts';
import { ExchangeType, HeaderFlag, NotifyType, PayloadType, ProtocolId } from '../../../../src/ike/payloads/types.ts';

function vector(name: string): Uint8Array {
  const text = readFileSync(new URL(`vectors/${name}`, import.meta.url), 'utf8');
  return fromHex(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .join(''),
  );
}

const REDIRECT_SUPPORTED = 16406;

test('strongSwan 5.9.8 IKE_SA_INIT request: decode, rules, byte-exact re-encode', () => {
  const bytes = vector('strongswan-5.9.8-ike-sa-init-request.txt');
  const r = decodeMessage(bytes);
  assert.equal(r.kind, 'message');
  if (r.kind !== 'message') return;
  const m = r.message;
  assert.equal(m.header.exchange, ExchangeType.IKE_SA_INIT);
  assert.equal(m.header.flags, HeaderFlag.INITIATOR);
  assert.equal(m.header.spiR, 0n);
  assert.deepEqual(
    m.payloads.map((p) => (p.type === PayloadType.NOTIFY && 'notifyType' in p ? `N(${p.notifyType})` : p.type)),
    [
      PayloadType.SA,
      PayloadType.KE,
      PayloadType.NONCE,
      `N(${NotifyType.NAT_DETECTION_SOURCE_IP})`,
      `N(${NotifyType.NAT_DETECTION_DESTINATION_IP})`,
      `N(${NotifyType.IKEV2_FRAGMENTATION_SUPPORTED})`,
      `N(${NotifyType.SIGNATURE_HASH_ALGORITHMS})`,
      `N(${REDIRECT_SUPPORTED})`,
    ],
  );
  const sa = first(m, PayloadType.SA);
  assert.equal(sa?.proposals.length, 1);
  const p = sa?.proposals[0];
  assert.equal(p?.protocol, ProtocolId.IKE);
  // aes256gcm16-aes128gcm16-prfsha256-prfsha384-x25519-ecp256
  assert.deepEqual(p?.transforms, [
    { type: 1, id: 20, keyLength: 256 },
    { type: 1, id: 20, keyLength: 128 },
    { type: 2, id: 5 },
    { type: 2, id: 6 },
    { type: 4, id: 31 },
    { type: 4, id: 19 },
  ]);
  const ke = first(m, PayloadType.KE);
  assert.equal(ke?.group, 31);
  assert.equal(ke?.data.byteLength, 32);
  assert.equal(first(m, PayloadType.NONCE)?.data.byteLength, 32);
  assert.equal(toHex(notify(m, NotifyType.SIGNATURE_HASH_ALGORITHMS)?.data ?? new Uint8Array(0)), '0002000300040005');
  checkRules(m);
  assert.deepEqual(encodeMessage(m), bytes);
  // Charon's generation order: sorting a shuffled copy gives the captured order back (notifies without their own
  // order entry keep the order in which they were added, as in charon).
  const shuffled = [
    m.payloads[4]!,
    ...m.payloads.slice(5),
    m.payloads[2]!,
    m.payloads[3]!,
    m.payloads[1]!,
    m.payloads[0]!,
  ];
  assert.deepEqual(encodeMessage({ ...m, payloads: sortPayloads(m.header.exchange, false, shuffled) }), bytes);
});

interface Exchange {
  skEi: GcmSkDouble;
  skEr: GcmSkDouble;
  frames: Uint8Array[];
}

function exchange(): Exchange {
  const text = readFileSync(new URL('vectors/strongswan-5.9.8-psk-exchange.txt', import.meta.url), 'utf8');
  const frames: Uint8Array[] = [];
  const keys = new Map<string, Uint8Array>();
  for (const line of text.split('\n')) {
    const [tag, hex] = line.split(' ');
    if (!hex || tag?.startsWith('#')) continue;
    if (tag === 'frame') frames.push(fromHex(hex));
    else if (tag) keys.set(tag, fromHex(hex));
  }
  const sk = (k: Uint8Array | undefined) => new GcmSkDouble(k!.subarray(0, 32), k!.subarray(32), 'aes-256-gcm', 1n, 1);
  return { skEi: sk(keys.get('sk_ei')), skEr: sk(keys.get('sk_er')), frames };
}

/** An SkCrypto for re-encoding one captured message: same keys, the captured IV. */
function resealer(key: Uint8Array, msg: Uint8Array, ivAt: number): GcmSkDouble {
  const iv = new DataView(msg.buffer, msg.byteOffset).getBigUint64(ivAt);
  return new GcmSkDouble(key.subarray(0, 32), key.subarray(32), 'aes-256-gcm', iv, 1);
}

test('strongSwan 5.9.8 PSK exchange: IKE_SA_INIT pair, fragmented IKE_AUTH, INFORMATIONAL', () => {
  const { skEi, skEr, frames } = exchange();
  assert.equal(frames.length, 7);
  const [initReq, initResp, frag1, frag2, authResp, infoReq, infoResp] = frames as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  // IKE_SA_INIT: clear, byte-exact round trips, rules hold.
  for (const f of [initReq, initResp]) {
    const r = decodeMessage(f);
    assert.ok(r.kind === 'message');
    checkRules(r.message);
    assert.deepEqual(encodeMessage(r.message), f);
  }
  const resp = decodeMessage(initResp);
  assert.ok(resp.kind === 'message');
  assert.equal(first(resp.message, PayloadType.KE)?.group, 31);
  assert.ok(notify(resp.message, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));

  // IKE_AUTH request: two SKF fragments (RFC 7383) decrypted with SK_ei and reassembled, in either order.
  const f1 = decodeMessage(frag1, skEi);
  const f2 = decodeMessage(frag2, skEi);
  assert.ok(f1.kind === 'fragment' && f2.kind === 'fragment');
  assert.deepEqual([f1.number, f1.total, f2.number, f2.total], [1, 2, 2, 2]);
  assert.equal(f1.nextPayload, PayloadType.IDi);
  assert.equal(f2.nextPayload, 0);
  const ra = new FragmentReassembler();
  assert.equal(ra.add(f2), undefined);
  const auth = ra.add(f1);
  assert.ok(auth);
  checkRules(auth);
  assert.equal(idToString(first(auth, PayloadType.IDi)!), 'moon.strongswan.org');
  assert.equal(idToString(first(auth, PayloadType.IDr)!), 'sun.strongswan.org');
  assert.equal(first(auth, PayloadType.AUTH)?.method, 2);
  assert.equal(tsToString(first(auth, PayloadType.TSi)!.selectors[0]!), '10.1.0.0/24');
  assert.equal(tsToString(first(auth, PayloadType.TSr)!.selectors[0]!), '10.2.0.0/24');
  assert.equal(first(auth, PayloadType.SA)?.proposals[0]?.protocol, ProtocolId.ESP);
  // A tampered fragment fails its ICV.
  const bad = frag2.slice();
  bad[bad.byteLength - 1]! ^= 1;
  assert.throws(() => decodeMessage(bad, skEi), VerifyError);

  // IKE_AUTH response: one SK payload, decrypted with SK_er; re-sealed with the same IV it is byte-identical.
  const ar = decodeMessage(authResp, skEr);
  assert.ok(ar.kind === 'message');
  checkRules(ar.message);
  assert.equal(idToString(first(ar.message, PayloadType.IDr)!), 'sun.strongswan.org');
  assert.deepEqual(encodeMessage(ar.message, resealer(exchangeKey('sk_er'), authResp, 32)), authResp);

  // INFORMATIONAL requests from both sides (both shut down), each a Delete of the IKE SA.
  const ir = decodeMessage(infoReq, skEi);
  assert.ok(ir.kind === 'message');
  checkRules(ir.message);
  assert.equal(first(ir.message, PayloadType.DELETE)?.protocol, ProtocolId.IKE);
  assert.deepEqual(encodeMessage(ir.message, resealer(exchangeKey('sk_ei'), infoReq, 32)), infoReq);
  const ip = decodeMessage(infoResp, skEr);
  assert.ok(ip.kind === 'message');
  assert.equal(ip.message.header.flags & HeaderFlag.INITIATOR, 0);
  assert.deepEqual(ip.message.payloads, [{ type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [] }]);
  checkRules(ip.message);
  assert.deepEqual(encodeMessage(ip.message, resealer(exchangeKey('sk_er'), infoResp, 32)), infoResp);
});

function exchangeKey(name: string): Uint8Array {
  const text = readFileSync(new URL('vectors/strongswan-5.9.8-psk-exchange.txt', import.meta.url), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return fromHex(line?.split(' ')[1] ?? '');
}
