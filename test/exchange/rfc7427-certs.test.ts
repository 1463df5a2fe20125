/**
 * Certificate authentication in process: RFC 7427 digital signatures with ECDSA, RSA and Ed25519 keys, identities
 * from subjectAltName and subject DN, CERTREQ/CERT handling, chains through intermediates, IKE fragmentation
 * (RFC 7383) of large certificate chains, and COOKIEs (RFC 7296 §2.6).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNet, child, connection, memoryCreds, node } from './ike-harness.ts';
import { createCa, issueCert, certChain, type KeyType, type Issued } from '../../src/daemon/pki/index.ts';
import { idFromString, decodeHeader } from '../../src/ike/message/index.ts';
import { ExchangeType, IdType, PayloadType } from '../../src/ike/payloads/types.ts';
import { idFromCert } from '../../src/ike/auth/certs.ts';
import type { Identity } from '../../src/ike/config.ts';

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function certPair(opts: {
  keyType: KeyType;
  leftId?: (c: Issued) => Identity;
  chain?: { left: Issued[]; anchors: Uint8Array[]; leftLeaf: Issued; rightLeaf: Issued };
  fragmentSize?: number;
  cookieThreshold?: number;
  sendCert?: 'always' | 'ifasked' | 'never';
}) {
  let anchors: Uint8Array[];
  let leftLeaf: Issued;
  let rightLeaf: Issued;
  let leftIntermediates: Issued[] = [];
  if (opts.chain) {
    ({ anchors, leftLeaf, rightLeaf } = opts.chain);
    leftIntermediates = opts.chain.left;
  } else {
    const ca = await createCa({ subject: 'C=CH, O=attestd, CN=Test CA', keyType: opts.keyType });
    anchors = [ca.certDer];
    leftLeaf = await issueCert({ ca, subject: 'C=CH, O=attestd, CN=moon.example', san: ['moon.example', '10.99.0.1'], keyType: opts.keyType });
    rightLeaf = await issueCert({ ca, subject: 'C=CH, O=attestd, CN=sun.example', san: ['sun.example'], keyType: opts.keyType });
  }
  const leftId = opts.leftId ? opts.leftId(leftLeaf) : idFromString('moon.example');
  const net = new MemoryNet();
  const creds = memoryCreds([], anchors);
  const left = node(net, '10.99.0.1', [
    connection({
      name: 'cert',
      localAddrs: ['10.99.0.1'],
      remoteAddrs: ['10.99.0.2'],
      fragmentSize: opts.fragmentSize ?? 1280,
      sendCert: opts.sendCert ?? 'ifasked',
      local: [{ method: 'pubkey', id: leftId, key: leftLeaf.privateKey, certs: [leftLeaf.certDer, ...leftIntermediates.map((i) => i.certDer).reverse()] }],
      remote: [{ method: 'pubkey', id: idFromString('sun.example') }],
      children: [child('net', { localTs: ['10.1.0.1/32'], remoteTs: ['10.2.0.1/32'] })],
    }),
  ], creds);
  const right = node(net, '10.99.0.2', [
    connection({
      name: 'cert',
      localAddrs: ['10.99.0.2'],
      remoteAddrs: ['10.99.0.1'],
      fragmentSize: opts.fragmentSize ?? 1280,
      local: [{ method: 'pubkey', id: idFromString('sun.example'), key: rightLeaf.privateKey, certs: [rightLeaf.certDer] }],
      remote: [{ method: 'pubkey', id: leftId }],
      children: [child('net', { localTs: ['10.2.0.1/32'], remoteTs: ['10.1.0.1/32'] })],
    }),
  ], creds, opts.cookieThreshold === undefined ? {} : { engine: { cookieThreshold: opts.cookieThreshold } });
  return { net, left, right };
}

for (const keyType of ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519'] as const) {
  test(`${keyType} certificates with RFC 7427 signatures authenticate both sides`, async () => {
    const { net, left, right } = await certPair({ keyType });
    await left.engine.initiate('cert');
    await settle();
    const r = right.engine.list()[0]!;
    assert.equal(r.state, 'ESTABLISHED');
    assert.equal(r.children.length, 1);
    assert.deepEqual(left.engine.list()[0]!.peerIds, ['sun.example']);
    assert.equal(right.engine.sas[0]!.peerAuth[0]!.method, 'pubkey');
    assert.match(right.engine.sas[0]!.peerAuth[0]!.certSubject ?? '', /CN=moon.example/);
    // CERTREQ from the responder made the initiator send its certificate.
    assert.ok(net.log.length >= 4);
  });
}

test('identity as subject DN (ID_DER_ASN1_DN) and as IPv4 address from subjectAltName', async () => {
  const dn = await certPair({ keyType: 'ecdsa-p256', leftId: (c) => idFromCert(c.certDer) });
  await dn.left.engine.initiate('cert');
  await settle();
  assert.equal(dn.right.engine.list()[0]?.state, 'ESTABLISHED');
  assert.equal(dn.right.engine.sas[0]!.peerAuth[0]!.id.idType, IdType.ID_DER_ASN1_DN);
  const ip = await certPair({ keyType: 'ecdsa-p256', leftId: () => idFromString('10.99.0.1') });
  await ip.left.engine.initiate('cert');
  await settle();
  assert.equal(ip.right.engine.list()[0]?.state, 'ESTABLISHED');
});

test('an identity the certificate does not carry is refused', async () => {
  const { left, right } = await certPair({ keyType: 'ecdsa-p256', leftId: () => idFromString('mars.example') });
  await assert.rejects(left.engine.initiate('cert'), /AUTHENTICATION_FAILED|24/);
  await settle();
  assert.equal(right.engine.sas.length, 0);
});

test('a certificate from an untrusted CA is refused', async () => {
  const { left, right } = await certPair({ keyType: 'ecdsa-p256' });
  const other = await createCa({ subject: 'CN=Other CA', keyType: 'ecdsa-p256' });
  const rogue = await issueCert({ ca: other, subject: 'CN=moon.example', san: ['moon.example'], keyType: 'ecdsa-p256' });
  const round = left.engine.svc.connections()[0]!.local[0]!;
  if (round.method !== 'pubkey') throw new Error('unreachable');
  round.key = rogue.privateKey;
  round.certs = [rogue.certDer];
  await assert.rejects(left.engine.initiate('cert'), /AUTHENTICATION_FAILED|24/);
  await settle();
  assert.equal(right.engine.sas.length, 0);
  assert.ok(right.logs.some((l) => /no trusted issuer/.test(l)), right.logs.join('\n'));
});

test('IKE fragmentation (RFC 7383): a chain of RSA-4096 intermediates travels in SKF fragments', async () => {
  const chain = await certChain(2, { san: ['moon.example'], leafSubject: 'CN=moon.example' });
  const ca = chain.root;
  const rightLeaf = await issueCert({ ca, subject: 'CN=sun.example', san: ['sun.example'], keyType: 'ecdsa-p256' });
  const { net, left, right } = await certPair({
    keyType: 'ecdsa-p256',
    chain: { left: chain.intermediates, anchors: [ca.certDer], leftLeaf: chain.leaf, rightLeaf },
    fragmentSize: 576,
    sendCert: 'always',
  });
  await left.engine.initiate('cert');
  await settle(100);
  assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
  const fragments = net.log.filter((d) => {
    const h = decodeHeader(d.data);
    return h.exchange === ExchangeType.IKE_AUTH && h.nextPayload === PayloadType.SKF;
  });
  assert.ok(fragments.length >= 4, `expected several SKF fragments, saw ${fragments.length}`);
  assert.ok(fragments.every((d) => d.data.byteLength <= 576));
});

test('COOKIE: under load the responder demands a cookie and the initiator retries with it', async () => {
  const { net, left, right } = await certPair({ keyType: 'ecdsa-p256', cookieThreshold: 0 });
  await left.engine.initiate('cert');
  await settle();
  assert.equal(right.engine.list()[0]?.state, 'ESTABLISHED');
  assert.equal(right.engine.stats.cookiesSent, 1);
  const init = net.log.filter((d) => decodeHeader(d.data).exchange === ExchangeType.IKE_SA_INIT);
  assert.equal(init.length, 4);
});
