/**
 * EAP-TTLS (RFC 5281): the packet and AVP codecs, fragmentation with strongSwan's rules, limits against floods and
 * oversize messages, and whole conversations over node:tls (certificate checks, MSK agreement).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { createPrf, prfPlus } from '../../../src/crypto/prf.ts';
import { PrfId } from '../../../src/crypto/ids.ts';
import { concat, fromHex } from '../../../src/common/bytes.ts';
import { LimitError, ParseError, ProtocolError } from '../../../src/common/errors.ts';
import {
  AvpFlag,
  EapCode,
  EapType,
  MAX_FRAGMENTS,
  TTLS_MAX_MESSAGE,
  TtlsFlag,
  TtlsFramer,
  createEapProvider,
  decodeAvps,
  decodeEap,
  decodeTtls,
  eapMessageAvp,
  eapMessages,
  encodeAvp,
  encodeEap,
  encodeTtls,
} from '../../../src/eap/index.ts';
import type { EapServerSession } from '../../../src/eap/index.ts';
import { converse, eapPki } from './helpers.ts';

test('TTLS packet codec round-trips (property); the L flag brings the 4-byte length', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ maxLength: 200 }),
      (flags, messageLength, data) => {
        const bytes = encodeTtls({ flags, messageLength, data });
        const p = decodeTtls(bytes);
        assert.equal(p.flags, flags);
        assert.deepEqual(p.data, data);
        if (flags & TtlsFlag.LENGTH) assert.equal(p.messageLength, messageLength);
        assert.deepEqual(encodeTtls(p), bytes);
      },
    ),
  );
  assert.deepEqual(encodeTtls({ flags: 0x80, data: Uint8Array.of(0x16) }), fromHex('800000000116'));
  assert.throws(() => decodeTtls(fromHex('800000')), ParseError, 'L without the length');
});

test('AVP 79 EAP-Message: flags 0x40, length with the 8-byte header, zero padding to 4 (RFC 5281 §10.1)', () => {
  const eap = encodeEap({ code: 2, identifier: 0, type: 1, data: new TextEncoder().encode('carol') }); // 10 bytes
  const avp = eapMessageAvp(eap);
  assert.deepEqual(avp.subarray(0, 8), fromHex('0000004f40000012'));
  assert.equal(avp.byteLength, 20);
  assert.deepEqual(avp.subarray(18), fromHex('0000'));
  const { avps, used } = decodeAvps(avp);
  assert.equal(used, 20);
  assert.deepEqual(eapMessages(avps), [eap]);
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          code: fc.integer({ min: 0, max: 0xffffffff }),
          flags: fc.integer({ min: 0, max: 0x7f }),
          data: fc.uint8Array({ maxLength: 64 }),
        }),
        { maxLength: 5 },
      ),
      (list) => {
        const bytes = concat(...list.map((a) => encodeAvp(a)));
        const back = decodeAvps(bytes);
        assert.equal(back.used, bytes.byteLength);
        assert.deepEqual(
          back.avps,
          list.map((a) => ({ ...a })),
        );
        assert.deepEqual(concat(...back.avps.map((a) => encodeAvp(a))), bytes);
      },
    ),
  );
});

test('AVPs with bad lengths, unknown mandatory AVPs and truncated EAP packets are refused', () => {
  for (const len of [0, 1, 7]) {
    assert.throws(
      () => decodeAvps(fromHex(`0000004f40${len.toString(16).padStart(6, '0')}00000000`)),
      ParseError,
      `length ${len}`,
    );
  }
  assert.throws(
    () => decodeAvps(fromHex('0000004fc000000b0000000000000000')),
    ParseError,
    'vendor AVP shorter than 12',
  );
  assert.throws(() => eapMessages([{ code: 1, flags: AvpFlag.MANDATORY, data: new Uint8Array(4) }]), ProtocolError);
  assert.deepEqual(eapMessages([{ code: 1, flags: 0, data: new Uint8Array(4) }]), [], 'optional unknown AVP skipped');
  assert.throws(() => eapMessages([{ code: 79, flags: 0x40, data: Uint8Array.of(2, 0) }]), ParseError);
  // An EAP packet split over two AVPs (RADIUS style) is joined; an incomplete one refused.
  const eap = encodeEap({ code: 1, identifier: 1, type: 4, data: new Uint8Array(300).fill(7) });
  const parts = [eap.subarray(0, 253), eap.subarray(253)];
  assert.deepEqual(eapMessages(parts.map((data) => ({ code: 79, flags: 0x40, data }))), [eap]);
  assert.throws(() => eapMessages([{ code: 79, flags: 0x40, data: parts[0]! }]), ParseError);
  // An incomplete trailing AVP waits for more data.
  const two = concat(eapMessageAvp(eap), eapMessageAvp(eap).subarray(0, 20));
  assert.equal(decodeAvps(two).avps.length, 1);
});

test('fragments: whole EAP packet ≤ fragment size, L and length on the first, M until the last, ACK = version', () => {
  const f = new TtlsFramer({ fragmentSize: 1024 });
  const data = new Uint8Array(2500).map((_, i) => i & 0xff);
  f.send(data);
  const frags: Uint8Array[] = [];
  while (f.pending) frags.push(f.next());
  const flags = frags.map((b) => decodeTtls(b).flags);
  assert.deepEqual(flags, [0xc0, 0x40, 0x00]);
  for (const b of frags) assert.ok(b.byteLength + 5 <= 1024, `${b.byteLength + 5} > 1024`);
  assert.equal(decodeTtls(frags[0]!).messageLength, 2500);
  const r = new TtlsFramer();
  assert.deepEqual(r.receive(frags[0]!), { kind: 'fragment' });
  assert.deepEqual(r.receive(frags[1]!), { kind: 'fragment' });
  assert.deepEqual(r.receive(frags[2]!), { kind: 'message', data });
  // Unfragmented messages carry L with include_length (strongSwan's default), not without.
  const one = new TtlsFramer();
  one.send(Uint8Array.of(1, 2, 3));
  assert.deepEqual(one.next(), fromHex('800000000301 0203'.replace(' ', '')));
  const bare = new TtlsFramer({ includeLength: false });
  bare.send(Uint8Array.of(1));
  assert.deepEqual(bare.next(), fromHex('0001'));
  assert.deepEqual(one.ack(), Uint8Array.of(0));
  assert.deepEqual(one.receive(Uint8Array.of(0)), { kind: 'ack' });
  assert.deepEqual(one.receive(Uint8Array.of(TtlsFlag.START)), { kind: 'start' });
});

test('reassembly limits: a message in ever tinier fragments is cut off at MAX_FRAGMENTS', () => {
  const r = new TtlsFramer({ maxMessageCount: 0 });
  const tiny = encodeTtls({ flags: TtlsFlag.MORE, data: Uint8Array.of(0x16) });
  for (let i = 0; i < MAX_FRAGMENTS; i++) assert.deepEqual(r.receive(tiny), { kind: 'fragment' });
  assert.throws(() => r.receive(tiny), (e: unknown) => e instanceof LimitError && /fragments/.test(e.message));
  // Ordinary fragmentation stays far below it: a maximal message in 1,024-byte fragments.
  assert.ok(Math.ceil(TTLS_MAX_MESSAGE / 1014) < MAX_FRAGMENTS);
});

test('reassembly limits: fragment floods, oversize and inconsistent lengths, wrong version', () => {
  const flood = new TtlsFramer({ maxMessageCount: 10 });
  assert.throws(() => {
    for (let i = 0; i < 11; i++) flood.receive(encodeTtls({ flags: TtlsFlag.MORE, data: new Uint8Array(10) }));
  }, LimitError);
  const big = new TtlsFramer({ maxMessageCount: 0 });
  assert.throws(
    () =>
      big.receive(
        encodeTtls({
          flags: TtlsFlag.LENGTH | TtlsFlag.MORE,
          messageLength: TTLS_MAX_MESSAGE + 1,
          data: new Uint8Array(1),
        }),
      ),
    LimitError,
  );
  const noL = new TtlsFramer({ maxMessageCount: 0 });
  assert.throws(() => {
    for (let i = 0; i < 100; i++) noL.receive(encodeTtls({ flags: TtlsFlag.MORE, data: new Uint8Array(1018) }));
  }, LimitError);
  const lie = new TtlsFramer();
  lie.receive(encodeTtls({ flags: TtlsFlag.LENGTH | TtlsFlag.MORE, messageLength: 1500, data: new Uint8Array(1000) }));
  assert.throws(() => lie.receive(encodeTtls({ flags: 0, data: new Uint8Array(1000) })), ProtocolError);
  assert.throws(
    () => new TtlsFramer().receive(encodeTtls({ flags: 0x80, messageLength: 2, data: new Uint8Array(3) })),
    ProtocolError,
  );
  assert.throws(() => new TtlsFramer().receive(Uint8Array.of(0x01)), ProtocolError, 'version 1');
  const mid = new TtlsFramer();
  mid.receive(encodeTtls({ flags: TtlsFlag.MORE, data: new Uint8Array(5) }));
  assert.throws(() => mid.receive(Uint8Array.of(0)), ProtocolError, 'ACK while reassembling');
});

const ctx = { connection: 'c', label: 't', identity: 'carol' };
const secret = (id: string) => (id === 'carol' ? new TextEncoder().encode('s') : undefined);

async function ttls(opts: {
  fragmentSize?: number;
  serverIdentity?: string;
  client?: 'good' | 'stranger';
  inner?: 'md5' | 'none';
  max?: 'TLSv1.2' | 'TLSv1.3';
  piggyback?: boolean;
}) {
  const pki = await eapPki();
  const sessions: EapServerSession[] = [];
  const versions = { max: opts.max ?? 'TLSv1.2' } as const;
  const cert = opts.client === 'good' ? pki.client : opts.client === 'stranger' ? pki.stranger : undefined;
  // With a client certificate the EAP identity is the name it carries (the server binds the two).
  const ctx = { connection: 'c', label: 't', identity: opts.client ? 'carol.attestd.test' : 'carol' };
  const peer = createEapProvider({
    md5Secret: secret,
    tls: {
      ca: pki.ca,
      serverIdentity: opts.serverIdentity ?? pki.serverName,
      ...(cert ? { cert: cert.cert, key: cert.key } : {}),
    },
    ttls: { tlsVersions: versions, ...(opts.fragmentSize ? { fragmentSize: opts.fragmentSize } : {}) },
  }).peer('ttls', ctx);
  const server = createEapProvider({
    md5Secret: secret,
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca },
    ttls: {
      inner: opts.inner ?? 'md5',
      tlsVersions: versions,
      maxMessageCount: 0,
      ...(opts.fragmentSize ? { fragmentSize: opts.fragmentSize } : {}),
      ...(opts.piggyback ? { piggyback: true } : {}),
    },
    onSession: (s) => {
      if (s.role === 'server') sessions.push(s.session);
    },
  }).server('ttls', ctx);
  return { peer, server, sessions };
}

for (const max of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`TTLS ${max} with 300-byte fragments: every packet fits, both sides derive the same 64-byte MSK`, async () => {
    const { peer, server } = await ttls({ fragmentSize: 300, max });
    const c = await converse(peer, server);
    assert.equal(c.outcome, 'success');
    assert.ok(c.packets.every((p) => p.bytes.byteLength <= 300));
    assert.ok(
      c.packets.some((p) => decodeEap(p.bytes).code === EapCode.RESPONSE && p.bytes.byteLength === 6),
      'ACKs seen',
    );
    assert.equal(c.peerMsk?.byteLength, 64);
    assert.deepEqual(c.peerMsk, c.serverMsk);
  });
}

test('phase 2 piggybacked on the TLS Finished: the peer answers the Request/Identity, no unsolicited one', async () => {
  const { peer, server, sessions } = await ttls({ piggyback: true });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'success');
  assert.equal(sessions[0]?.identity, 'carol');
});

test('the peer refuses a server certificate that does not carry the expected identity', async () => {
  const { peer, server } = await ttls({ serverIdentity: 'other.attestd.test' });
  await assert.rejects(converse(peer, server), /TLS/);
});

test('a client certificate from an unknown CA does not count: the certificate-only shell fails', async () => {
  const { peer, server, sessions } = await ttls({ client: 'stranger', inner: 'none' });
  const c = await converse(peer, server);
  assert.equal(c.outcome, 'failure');
  assert.match(sessions[0]?.reason ?? '', /client certificate is required/);
  const good = await ttls({ client: 'good', inner: 'none' });
  assert.equal((await converse(good.peer, good.server)).outcome, 'success');
});

test('garbage TLS data ends the conversation in Failure', async () => {
  const { server } = await ttls({});
  const start = decodeEap(await server.start());
  const id = start.identifier;
  await server.process(encodeEap({ code: 2, identifier: id, type: 1, data: new TextEncoder().encode('carol') }));
  const r = await server.process(
    encodeEap({
      code: 2,
      identifier: (id + 1) & 0xff,
      type: EapType.TTLS,
      data: encodeTtls({ flags: 0x80, data: new Uint8Array(40).fill(0x16) }),
    }),
  );
  assert.equal(r.outcome, 'failure');
});

/** HKDF-Expand-Label (RFC 8446 §7.1); HKDF-Expand is IKE's prf+ with HMAC (RFC 5869 §2.3 = RFC 7296 §2.13). */
function expandLabel(
  hash: 'sha256' | 'sha384',
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
) {
  const full = new TextEncoder().encode(`tls13 ${label}`);
  const info = concat(
    Uint8Array.of(length >> 8, length & 0xff, full.byteLength),
    full,
    Uint8Array.of(context.byteLength),
    context,
  );
  return prfPlus(
    createPrf(hash === 'sha256' ? PrfId.PRF_HMAC_SHA2_256 : PrfId.PRF_HMAC_SHA2_384),
    secret,
    info,
    length,
  );
}

test('TLS 1.3 MSK = first 64 bytes of TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x15, 128) (RFC 9427 §2.1)', async () => {
  const { peer, server } = await ttls({ max: 'TLSv1.3' });
  // Run the first exchange by hand to reach the TLS socket and listen for its key log before the handshake ends.
  let req = await server.start();
  let res = await peer.process(req); // identity
  let step = await server.process(res);
  res = await peer.process(step.packet); // TTLS start → ClientHello
  const ttlsPeer = (peer as unknown as { method: { tunnel: { socket: TLSSocket } } }).method;
  let exporter: Uint8Array | undefined;
  let cipher = '';
  const sock = ttlsPeer.tunnel.socket;
  sock.on('keylog', (line: Buffer) => {
    const [label, , secret] = line.toString().trim().split(' ');
    if (label === 'EXPORTER_SECRET' && secret) exporter = fromHex(secret);
  });
  sock.once('secureConnect', () => (cipher = sock.getCipher().name));
  for (;;) {
    step = await server.process(res);
    if (step.outcome) break;
    req = step.packet;
    res = await peer.process(req);
  }
  assert.equal(step.outcome, 'success');
  peer.finish('success');
  assert.ok(exporter, 'EXPORTER_SECRET logged');
  const hash = cipher.endsWith('SHA384') ? 'sha384' : 'sha256';
  const empty = new Uint8Array(createHash(hash).digest());
  const derived = expandLabel(hash, exporter, 'EXPORTER_EAP_TLS_Key_Material', empty, empty.byteLength);
  const keyMaterial = expandLabel(
    hash,
    derived,
    'exporter',
    new Uint8Array(createHash(hash).update(Uint8Array.of(0x15)).digest()),
    128,
  );
  assert.deepEqual(server.msk(), keyMaterial.subarray(0, 64));
  assert.deepEqual(peer.msk(), keyMaterial.subarray(0, 64));
});

test('a fragment flood at the server ends in EAP-Failure once the packet count is exceeded', async () => {
  const pki = await eapPki();
  const server = createEapProvider({
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca },
    ttls: { maxMessageCount: 8 },
  }).server('ttls', ctx);
  let id = decodeEap(await server.start()).identifier;
  let r = await server.process(
    encodeEap({ code: 2, identifier: id, type: 1, data: new TextEncoder().encode('carol') }),
  );
  for (let i = 0; i < 20 && !r.outcome; i++) {
    id = decodeEap(r.packet).identifier;
    const frag = encodeTtls({ flags: TtlsFlag.MORE, data: new Uint8Array(1000) });
    r = await server.process(encodeEap({ code: 2, identifier: id, type: EapType.TTLS, data: frag }));
    if (!r.outcome)
      assert.deepEqual(
        decodeEap(r.packet),
        { code: 1, identifier: (id + 1) & 0xff, type: 21, data: Uint8Array.of(0) },
        'ACK',
      );
  }
  assert.equal(r.outcome, 'failure');
  assert.equal(decodeEap(r.packet).code, EapCode.FAILURE);
});

test('an AVP declaring more than one EAP packet can hold is refused before anything is buffered', () => {
  assert.throws(() => decodeAvps(fromHex('0000004f40ffffff')), ParseError);
  assert.equal(decodeAvps(fromHex('0000004f40010000')).avps.length, 0, 'a large but legal AVP waits for more');
});

test('fragmentation then reassembly gives back the message for any size and fragment size (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.integer({ min: 11, max: 1400 }), (data, size) => {
      const out = new TtlsFramer({ fragmentSize: size });
      const back = new TtlsFramer({ maxMessageCount: 0 });
      out.send(data);
      let got: Uint8Array | undefined;
      while (out.pending) {
        const frag = out.next();
        assert.ok(frag.byteLength + 5 <= size);
        const r = back.receive(frag);
        if (r.kind === 'message') got = r.data;
        else assert.equal(r.kind, 'fragment');
      }
      assert.deepEqual(got, data);
    }),
    { numRuns: 200 },
  );
});
