/**
 * RFC 7296 §1.3 / §2.1: a retransmitted IKE_SA_INIT request is answered from the cache, but a NEW request that
 * reuses the SPIi (the initiator's retry after INVALID_KE_PAYLOAD or COOKIE, as charon sends it) must be processed,
 * even when it arrives before the responder has let go of the SA it refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNet, child, connection, memoryCreds, node, type Datagram } from './ike-harness.ts';
import { decodeHeader, decodeMessage, first, notify } from '../../src/ike/message/index.ts';
import { idFromString } from '../../src/ike/message/index.ts';
import { ExchangeType, HeaderFlag, NotifyType, PayloadType } from '../../src/ike/payloads/types.ts';
import { parseProposals } from '../../src/crypto/index.ts';

const creds = memoryCreds([{ a: 'moon.example', b: 'sun.example', secret: 'init retry test secret' }]);
const settle = () => new Promise((r) => setTimeout(r, 50));
/** Waits until `done()` holds (or 5 s pass): the exchange's timing depends on the machine's load. */
const until = async (done: () => boolean) => {
  for (const end = Date.now() + 5000; !done() && Date.now() < end;) await settle();
};

function nodes() {
  const net = new MemoryNet();
  const left = node(
    net,
    '10.99.0.1',
    [
      connection({
        name: 'c',
        localAddrs: ['10.99.0.1'],
        remoteAddrs: ['10.99.0.2'],
        proposals: parseProposals('aes256gcm16-prfsha256-x25519-ecp256', 'ike'),
        local: [{ method: 'psk', id: idFromString('moon.example') }],
        remote: [{ method: 'psk', id: idFromString('sun.example') }],
        children: [child('net', { localTs: ['10.1.0.0/24'], remoteTs: ['10.2.0.0/24'] })],
      }),
    ],
    creds,
  );
  const right = node(
    net,
    '10.99.0.2',
    [
      connection({
        name: 'c',
        localAddrs: ['10.99.0.2'],
        remoteAddrs: ['10.99.0.1'],
        proposals: parseProposals('aes256gcm16-prfsha256-ecp256', 'ike'),
        local: [{ method: 'psk', id: idFromString('sun.example') }],
        remote: [{ method: 'psk', id: idFromString('moon.example') }],
        children: [child('net', { localTs: ['10.2.0.0/24'], remoteTs: ['10.1.0.0/24'] })],
      }),
    ],
    creds,
  );
  return { net, left, right };
}

const isInitRequest = (d: Datagram) => {
  const h = decodeHeader(d.data);
  return h.exchange === ExchangeType.IKE_SA_INIT && (h.flags & HeaderFlag.RESPONSE) === 0;
};

test('an IKE_SA_INIT retry with the same SPIi is processed even before the refused SA is gone', async () => {
  // 1. Learn the two requests of a real INVALID_KE exchange: the first (x25519) and the retry (ecp256).
  const learn = nodes();
  learn.left.engine.initiate('c').catch(() => {});
  await until(() => learn.net.log.filter(isInitRequest).length >= 2);
  const requests = learn.net.log.filter(isInitRequest);
  assert.equal(requests.length, 2, 'first request and the retry after INVALID_KE_PAYLOAD');
  const [firstReq, retry] = requests as [Datagram, Datagram];
  assert.equal(decodeHeader(firstReq.data).spiI, decodeHeader(retry.data).spiI, 'the retry reuses the SPIi');

  // 2. A fresh responder gets both in the same turn: the refused SA still exists when the retry arrives.
  const { net, right } = nodes();
  void right.engine.receive(firstReq.data, firstReq.to, firstReq.from);
  await right.engine.receive(retry.data, retry.to, retry.from);
  await settle();
  const answers = net.log
    .filter((d) => d.from.address === '10.99.0.2')
    .map((d) => {
      const r = decodeMessage(d.data);
      assert.equal(r.kind, 'message');
      return r.kind === 'message' ? r.message : undefined;
    });
  assert.equal(answers.length, 2);
  assert.ok(notify(answers[0]!, NotifyType.INVALID_KE_PAYLOAD), 'the first request is refused');
  assert.ok(first(answers[1]!, PayloadType.SA), 'the retry gets a real IKE_SA_INIT response, not the cached refusal');
  // 3. A byte-identical copy of the retry is still a retransmit: answered from the cache, no new SA.
  const sas = right.engine.sas.length;
  await right.engine.receive(retry.data, retry.to, retry.from);
  await settle();
  assert.equal(right.engine.sas.length, sas);
  const last = net.log.filter((d) => d.from.address === '10.99.0.2').at(-1)!;
  assert.deepEqual(last.data, net.log.filter((d) => d.from.address === '10.99.0.2')[1]!.data);
});
