/**
 * RFC 7296 §1.2–§1.4 in process: IKE_SA_INIT + IKE_AUTH (PSK) with the first CHILD_SA, CHILD_SA and IKE_SA rekeying,
 * liveness checks and deletion from either side, between two engines over an in-memory network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNet, assertConsistent, child, connection, memoryCreds, node } from './ike-harness.ts';
import { idFromString, decodeHeader } from '../../src/ike/message/index.ts';
import { ExchangeType } from '../../src/ike/payloads/types.ts';
import { IkeState } from '../../src/ike/sa/ike-sa.ts';
import { parseProposals } from '../../src/crypto/index.ts';

const creds = memoryCreds([{ a: 'moon.example', b: 'sun.example', secret: 'a-long-shared-secret-for-tests' }]);

function pskPair(opts: { ike?: string; esp?: string; respIke?: string } = {}) {
  const net = new MemoryNet();
  const ike = parseProposals(opts.ike ?? 'aes256gcm16-prfsha256-x25519', 'ike');
  const esp = parseProposals(opts.esp ?? 'aes256gcm16', 'esp');
  const left = node(net, '10.99.0.1', [
    connection({
      name: 'host-host',
      localAddrs: ['10.99.0.1'],
      remoteAddrs: ['10.99.0.2'],
      proposals: ike,
      local: [{ method: 'psk', id: idFromString('moon.example') }],
      remote: [{ method: 'psk', id: idFromString('sun.example') }],
      children: [child('net', { localTs: ['10.1.0.0/24'], remoteTs: ['10.2.0.0/24'], espProposals: esp })],
    }),
  ], creds);
  const right = node(net, '10.99.0.2', [
    connection({
      name: 'host-host',
      localAddrs: ['10.99.0.2'],
      remoteAddrs: ['10.99.0.1'],
      proposals: opts.respIke ? parseProposals(opts.respIke, 'ike') : ike,
      local: [{ method: 'psk', id: idFromString('sun.example') }],
      remote: [{ method: 'psk', id: idFromString('moon.example') }],
      children: [child('net', { localTs: ['10.2.0.0/16'], remoteTs: ['10.1.0.0/16'], espProposals: esp })],
    }),
  ], creds);
  return { net, left, right };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

test('PSK: IKE_SA and first CHILD_SA come up in two exchanges, with narrowed selectors', async () => {
  const { net, left, right } = pskPair();
  const sa = await left.engine.initiate('host-host');
  await settle();
  assert.equal(sa.state, IkeState.ESTABLISHED);
  const [l] = left.engine.list();
  const [r] = right.engine.list();
  assert.ok(l && r);
  assert.equal(r.state, 'ESTABLISHED');
  assert.equal(l.spiI, r.spiI);
  assert.equal(l.spiR, r.spiR);
  assert.deepEqual(l.peerIds, ['sun.example']);
  assert.deepEqual(r.peerIds, ['moon.example']);
  assert.equal(l.suite, r.suite);
  // Initiator offered 10.1.0.0/24 <-> 10.2.0.0/24; the responder allows /16s: the result is the intersection.
  assert.deepEqual(l.children[0]?.localTs, ['10.1.0.0/24']);
  assert.deepEqual(l.children[0]?.remoteTs, ['10.2.0.0/24']);
  assert.deepEqual(r.children[0]?.localTs, ['10.2.0.0/24']);
  assert.equal(l.children[0]?.spiIn, r.children[0]?.spiOut);
  assert.equal(l.children[0]?.spiOut, r.children[0]?.spiIn);
  // Keys handed to the data planes match crosswise.
  const li = [...left.dataplane.installed.values()][0]!;
  const ri = [...right.dataplane.installed.values()][0]!;
  assert.deepEqual(li.encrOut, ri.encrIn);
  assert.deepEqual(li.encrIn, ri.encrOut);
  assert.equal(li.encrOut.byteLength, 36); // AES-256 key + 4-byte GCM salt
  const exchanges = net.log.map((d) => decodeHeader(d.data).exchange);
  assert.deepEqual(exchanges, [ExchangeType.IKE_SA_INIT, ExchangeType.IKE_SA_INIT, ExchangeType.IKE_AUTH, ExchangeType.IKE_AUTH]);
  await assertConsistent(left, right);
});

for (const [ike, esp] of [
  ['aes128-sha256-modp3072', 'aes128-sha256'],
  ['chacha20poly1305-prfsha512-ecp384', 'chacha20poly1305'],
  ['aes256-sha384-curve448', 'aes256gcm16-esn'],
]) {
  test(`PSK with ${ike} / ${esp}`, async () => {
    const { left, right } = pskPair({ ike, esp });
    await left.engine.initiate('host-host');
    await settle();
    assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
    assert.equal(left.engine.list()[0]?.children.length, 1);
    assert.equal(right.engine.list()[0]?.children.length, 1);
    await assertConsistent(left, right);
  });
}

test('wrong PSK: responder answers AUTHENTICATION_FAILED and neither side keeps an SA', async () => {
  const { left, right } = pskPair();
  const bad = memoryCreds([{ a: 'moon.example', b: 'sun.example', secret: 'not-the-same-secret' }]);
  (left.engine.svc as { creds: unknown }).creds = bad;
  await assert.rejects(left.engine.initiate('host-host'), /AUTHENTICATION_FAILED|24/);
  await settle();
  assert.equal(left.engine.sas.length, 0);
  assert.equal(right.engine.sas.length, 0);
  assert.equal(right.dataplane.installed.size, 0);
});

test('INVALID_KE_PAYLOAD: initiator retries with the group the responder asks for', async () => {
  const { net, left, right } = pskPair({ ike: 'aes256gcm16-prfsha256-x25519-ecp256', respIke: 'aes256gcm16-prfsha256-ecp256' });
  await left.engine.initiate('host-host');
  await settle();
  assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
  const init = net.log.filter((d) => decodeHeader(d.data).exchange === ExchangeType.IKE_SA_INIT);
  assert.equal(init.length, 4, 'request, INVALID_KE, retried request, response');
});

test('CHILD_SA rekey from either side replaces SPIs and deletes the old SA', async () => {
  const { left, right } = pskPair();
  const sa = await left.engine.initiate('host-host');
  await settle();
  const before = left.engine.list()[0]!.children[0]!;
  left.engine.rekeyChild(sa, sa.children[0]!);
  await settle();
  const after = left.engine.list()[0]!.children;
  assert.equal(after.length, 1);
  assert.notEqual(after[0]!.spiIn, before.spiIn);
  assert.equal(right.engine.list()[0]!.children.length, 1);
  assert.equal(right.engine.list()[0]!.children[0]!.spiOut, after[0]!.spiIn);
  // Now the responder rekeys.
  const rsa = right.engine.sas[0]!;
  right.engine.rekeyChild(rsa, rsa.children[0]!);
  await settle();
  assert.equal(left.engine.list()[0]!.children.length, 1);
  assert.equal(right.engine.list()[0]!.children[0]!.spiIn, left.engine.list()[0]!.children[0]!.spiOut);
  assert.equal(left.dataplane.installed.size, 1);
  assert.equal(right.dataplane.installed.size, 1);
  await assertConsistent(left, right);
  await assertConsistent(right, left);
});

test('CHILD_SA rekey with PFS (esp proposal with a KE method)', async () => {
  const { left, right } = pskPair({ esp: 'aes256gcm16-x25519' });
  const sa = await left.engine.initiate('host-host');
  await settle();
  left.engine.rekeyChild(sa, sa.children[0]!);
  await settle();
  assert.equal(right.engine.list()[0]!.children.length, 1);
  assert.equal(left.engine.list()[0]!.children[0]!.suite, right.engine.list()[0]!.children[0]!.suite);
  await assertConsistent(left, right);
  // And the responder rekeys with PFS.
  const rsa = right.engine.sas[0]!;
  right.engine.rekeyChild(rsa, rsa.children[0]!);
  await settle();
  await assertConsistent(left, right);
});

test('IKE_SA rekey from either side moves the CHILD_SAs and deletes the old IKE_SA', async () => {
  const { left, right } = pskPair();
  const sa = await left.engine.initiate('host-host');
  await settle();
  const childSpi = left.engine.list()[0]!.children[0]!.spiIn;
  left.engine.rekeyIke(sa);
  await settle();
  assert.equal(left.engine.sas.length, 1);
  assert.equal(right.engine.sas.length, 1);
  const l = left.engine.list()[0]!;
  assert.notEqual(l.spiI, sa.spiI.toString(16).padStart(16, '0'));
  assert.equal(l.children[0]!.spiIn, childSpi);
  assert.equal(l.state, 'ESTABLISHED');
  // The responder rekeys the new SA; the SA keeps working afterwards (a DPD round trip).
  right.engine.rekeyIke(right.engine.sas[0]!);
  await settle();
  assert.equal(left.engine.sas.length, 1);
  assert.equal(right.engine.sas.length, 1);
  assert.equal(left.engine.sas[0]!.state, IkeState.ESTABLISHED);
  await assertConsistent(left, right);
  await assertConsistent(right, left);
  // A CHILD_SA rekey on the twice-rekeyed IKE_SA uses its SK_d.
  const fresh = left.engine.sas[0]!;
  left.engine.rekeyChild(fresh, fresh.children[0]!);
  await settle();
  await assertConsistent(left, right);
});

test('DELETE from the responder removes everything on both sides', async () => {
  const { left, right } = pskPair();
  await left.engine.initiate('host-host');
  await settle();
  await right.engine.terminate(right.engine.sas[0]!);
  await settle();
  assert.equal(left.engine.sas.length, 0);
  assert.equal(right.engine.sas.length, 0);
  assert.equal(left.dataplane.installed.size, 0);
  assert.equal(right.dataplane.installed.size, 0);
});

test('CHILD_SA delete from the initiator keeps the IKE_SA', async () => {
  const { left, right } = pskPair();
  const sa = await left.engine.initiate('host-host');
  await settle();
  left.engine.deleteChild(sa, sa.children[0]!);
  await settle();
  assert.equal(left.engine.list()[0]!.children.length, 0);
  assert.equal(right.engine.list()[0]!.children.length, 0);
  assert.equal(right.engine.list()[0]!.state, 'ESTABLISHED');
});

test('retransmitted requests are answered from the cache; replays of old messages are ignored', async () => {
  const { net, left, right } = pskPair();
  const sa = await left.engine.initiate('host-host');
  await settle();
  const authReq = net.log.find((d) => decodeHeader(d.data).exchange === ExchangeType.IKE_AUTH)!;
  const sentBefore = right.engine.stats.sent;
  net.deliver(authReq); // a retransmit of the IKE_AUTH request (message id 1)
  await settle();
  assert.equal(right.engine.stats.sent, sentBefore + 1, 'answered from the response cache');
  left.engine.dpd(sa);
  await settle();
  const sentAfterDpd = right.engine.stats.sent;
  const initReq = net.log[0]!;
  net.deliver(initReq); // IKE_SA_INIT replay: answered from cache, no new SA
  net.deliver(authReq); // now older than the last request: ignored
  await settle();
  assert.equal(right.engine.sas.length, 1);
  assert.ok(right.engine.stats.sent <= sentAfterDpd + 1);
});

test('lost responses are retransmitted by the initiator until they get through', async () => {
  const { net, left, right } = pskPair();
  let dropped = 0;
  net.filter = (d) => {
    if (d.from.address === '10.99.0.2' && dropped < 2) {
      dropped++;
      return false;
    }
    return true;
  };
  await left.engine.initiate('host-host');
  await settle();
  assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
  assert.equal(dropped, 2);
});
