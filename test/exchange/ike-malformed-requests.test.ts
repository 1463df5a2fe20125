/**
 * Malformed requests on an established IKE SA (RFC 7296 §2.5, §2.21.2, §3.14): each is answered with the error notify
 * the RFC asks for, or not at all, and the SA keeps working. Requests are built by the test with the initiator's
 * keys and delivered straight to the responder over the in-memory network.
 *
 *   HDR(mid 2), SK{ UNKNOWN(critical) }       -->  <--  HDR, SK{ N(UNSUPPORTED_CRITICAL_PAYLOAD, type) }
 *   HDR(mid 2), SK{ … } with a broken ICV     -->       (dropped, counted as an ICV failure)
 *   HDR(mid 2), SK{ N(COOKIE) } in CREATE_CHILD_SA without SA/Nonce/TS -->  <--  HDR, SK{ N(error) }
 *   HDR(mid 9), SK{ } (out of window)         -->       (ignored)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNet, child, connection, memoryCreds, node } from './ike-harness.ts';
import { decodeMessage, encodeMessage, idFromString } from '../../src/ike/message/index.ts';
import {
  ExchangeType,
  HeaderFlag,
  NotifyType,
  PayloadType,
  type IkeMessage,
  type Payload,
} from '../../src/ike/payloads/types.ts';
import type { IkeSa } from '../../src/ike/sa/ike-sa.ts';

const creds = memoryCreds([{ a: 'moon.example', b: 'sun.example', secret: 'malformed-requests-shared-secret' }]);

async function established() {
  const net = new MemoryNet();
  const mk = (me: string, peer: string, addr: string, peerAddr: string) => {
    const [l, r] = addr.endsWith('.1') ? ['10.1.0.0/24', '10.2.0.0/24'] : ['10.2.0.0/24', '10.1.0.0/24'];
    return connection({
      name: 'c',
      localAddrs: [addr],
      remoteAddrs: [peerAddr],
      local: [{ method: 'psk', id: idFromString(me) }],
      remote: [{ method: 'psk', id: idFromString(peer) }],
      children: [child('ch', { localTs: [l], remoteTs: [r] })],
    });
  };
  const left = node(net, '10.99.0.1', [mk('moon.example', 'sun.example', '10.99.0.1', '10.99.0.2')], creds);
  const right = node(net, '10.99.0.2', [mk('sun.example', 'moon.example', '10.99.0.2', '10.99.0.1')], creds);
  const sa = await left.engine.initiate('c');
  await new Promise((r) => setTimeout(r, 30));
  return { net, left, right, sa };
}

/** A request from the initiator of `sa`, encrypted with its keys; message id 2 is the next after IKE_AUTH. */
function request(sa: IkeSa, exchange: number, payloads: Payload[], mid = 2): Uint8Array {
  const msg: IkeMessage = {
    header: {
      spiI: sa.spiI,
      spiR: sa.spiR,
      nextPayload: 0,
      version: 0x20,
      exchange,
      flags: HeaderFlag.INITIATOR,
      messageId: mid,
      length: 0,
    },
    encrypted: true,
    payloads,
  };
  return encodeMessage(msg, sa.skOut);
}

/** Delivers `data` to the responder and returns the decrypted answers it sent back. */
async function deliver(net: MemoryNet, sa: IkeSa, data: Uint8Array): Promise<IkeMessage[]> {
  const mark = net.log.length;
  // Responses must not reach the initiator's engine (it has no such request in flight): observe, then drop.
  net.filter = (d) => d.from.address !== '10.99.0.2';
  net.deliver({ data, from: { address: '10.99.0.1', port: 500 }, to: { address: '10.99.0.2', port: 500 } });
  await new Promise((r) => setTimeout(r, 30));
  net.filter = undefined;
  return net.log
    .slice(mark)
    .filter((d) => d.from.address === '10.99.0.2')
    .map((d) => {
      const r = decodeMessage(d.data, sa.skIn);
      assert.equal(r.kind, 'message');
      return (r as { message: IkeMessage }).message;
    });
}

const notifies = (m: IkeMessage | undefined) =>
  (m?.payloads ?? []).filter((p) => p.type === PayloadType.NOTIFY).map((p) => ('notifyType' in p ? p.notifyType : -1));

test('an unknown critical payload is answered with UNSUPPORTED_CRITICAL_PAYLOAD naming its type (RFC 7296 §2.5)', async () => {
  const { net, right, sa } = await established();
  const unknown = { type: 200, unknown: true, critical: true, data: new Uint8Array(8) } as Payload;
  const answers = await deliver(net, sa, request(sa, ExchangeType.INFORMATIONAL, [unknown]));
  assert.equal(answers.length, 1);
  assert.deepEqual(notifies(answers[0]), [NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD]);
  const n = answers[0]!.payloads[0]!;
  assert.ok('notifyType' in n);
  assert.deepEqual([...n.data], [200]);
  assert.equal(right.engine.sas[0]?.state, 'ESTABLISHED');
});

test('a request with a broken ICV is dropped silently and the SA keeps working (RFC 7296 §2.21.2)', async () => {
  const { net, left, right, sa } = await established();
  const data = request(sa, ExchangeType.INFORMATIONAL, []);
  data[data.byteLength - 1]! ^= 0x01;
  const answers = await deliver(net, sa, data);
  assert.equal(answers.length, 0);
  assert.equal(right.engine.stats.icvFailures, 1);
  const before = right.engine.stats.received;
  left.engine.dpd(sa);
  await left.engine.idle(sa, 2000);
  assert.ok(right.engine.stats.received > before);
  assert.equal(right.engine.sas[0]?.state, 'ESTABLISHED');
});

test('CREATE_CHILD_SA without SA, Nonce and TS is refused with an error notify; the IKE SA stays', async () => {
  const { net, right, sa } = await established();
  const answers = await deliver(net, sa, request(sa, ExchangeType.CREATE_CHILD_SA, []));
  assert.equal(answers.length, 1);
  const codes = notifies(answers[0]);
  assert.equal(codes.length, 1);
  assert.ok(codes[0]! < 16384, `an error notify, got ${codes[0]}`);
  assert.equal(right.engine.sas[0]?.state, 'ESTABLISHED');
  assert.equal(right.engine.sas[0]?.children.length, 1);
});

test('a request outside the window (message id far ahead) is ignored (RFC 7296 §2.3)', async () => {
  const { net, right, sa } = await established();
  const sent = right.engine.stats.sent;
  const answers = await deliver(net, sa, request(sa, ExchangeType.INFORMATIONAL, [], 9));
  assert.equal(answers.length, 0);
  assert.equal(right.engine.stats.sent, sent);
});
