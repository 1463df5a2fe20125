/**
 * Accessors, traffic selector helpers (RFC 7296 §3.13.1, narrowing §2.9) and identities (§3.5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { toHex } from '../../../../src/common/bytes.ts';
import { ConfigError } from '../../../../src/common/errors.ts';
import {
  all,
  dnFromString,
  encodeIdBody,
  errorNotify,
  first,
  hasNotify,
  idFromString,
  idToString,
  notify,
  tsContains,
  tsFromCidr,
  tsIntersect,
  tsToString,
} from '../../../../src/ike/message/index.ts';
import type { TrafficSelector } from '../../../../src/ike/payloads/types.ts';
import { IdType, NotifyType, PayloadType, TsType } from '../../../../src/ike/payloads/types.ts';
import { hasCommand } from '../../../support/env.ts';
import { ikeAuthRequest, ikeSaInitRequest } from './messages.ts';

test('first/all/notify/errorNotify are typed and skip unknown payloads', () => {
  const m = ikeSaInitRequest();
  m.payloads.unshift({ type: PayloadType.SA, unknown: true, critical: false, data: new Uint8Array(0) });
  const sa = first(m, PayloadType.SA);
  assert.equal(sa?.proposals.length, 1);
  assert.equal(all(m, PayloadType.NOTIFY).length, 4);
  assert.equal(notify(m, NotifyType.NAT_DETECTION_DESTINATION_IP)?.data.byteLength, 20);
  assert.equal(hasNotify(m, NotifyType.COOKIE), false);
  assert.equal(errorNotify(m), undefined);
  m.payloads.push({
    type: PayloadType.NOTIFY,
    protocol: 0,
    spi: new Uint8Array(0),
    notifyType: NotifyType.NO_PROPOSAL_CHOSEN,
    data: new Uint8Array(0),
  });
  assert.equal(errorNotify(m)?.notifyType, NotifyType.NO_PROPOSAL_CHOSEN);
  assert.equal(first(ikeAuthRequest(), PayloadType.IDr)?.idType, IdType.ID_FQDN);
  assert.equal(first(m, PayloadType.EAP), undefined);
});

test('tsFromCidr: prefixes, single hosts, ranges, IPv6, dynamic, protocol and ports', () => {
  const a = tsFromCidr('10.1.0.0/24');
  assert.equal(toHex(a.startAddr) + toHex(a.endAddr), '0a0100000a0100ff');
  assert.deepEqual([a.tsType, a.ipProtocol, a.startPort, a.endPort], [TsType.TS_IPV4_ADDR_RANGE, 0, 0, 65535]);
  assert.equal(tsToString(tsFromCidr('10.1.0.1')), '10.1.0.1/32');
  assert.equal(tsToString(tsFromCidr('10.1.0.77/24')), '10.1.0.0/24');
  assert.equal(tsToString(tsFromCidr('::/0')), '::/0');
  assert.equal(tsToString(tsFromCidr('2001:db8::/32', { protocol: 'tcp', ports: 443 })), '2001:db8::/32[tcp/443]');
  assert.equal(
    tsToString(tsFromCidr('10.1.0.1-10.1.0.9', { protocol: 17, ports: [500, 4500] })),
    '10.1.0.1..10.1.0.9[udp/500-4500]',
  );
  assert.equal(tsToString(tsFromCidr('dynamic', { dynamic: '192.0.2.1', protocol: 'icmp' })), '192.0.2.1/32[icmp]');
  assert.equal(tsToString(tsFromCidr('0.0.0.0/0', { ports: [65535, 0], protocol: 'tcp' })), '0.0.0.0/0[tcp/OPAQUE]');
  for (const bad of ['10.1.0.0/33', '10.1.0.0/x', 'dynamic', 'moon', '10.1.0.9-10.1.0.1', '10.0.0.1-::1']) {
    assert.throws(() => tsFromCidr(bad), ConfigError, bad);
  }
  assert.throws(() => tsFromCidr('10.0.0.0/8', { ports: 70000 }), ConfigError);
});

const v4Arb = fc
  .tuple(
    fc.nat({ max: 0xffffffff }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 3 }),
    fc.nat({ max: 65535 }),
    fc.nat({ max: 65535 }),
  )
  .map(([addr, bits, proto, p1, p2]): TrafficSelector => {
    const text = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${bits}`;
    const protocol = [0, 6, 17, 1][proto] ?? 0;
    return tsFromCidr(text, { protocol, ports: proto === 0 ? [0, 65535] : [Math.min(p1, p2), Math.max(p1, p2)] });
  });

test('tsIntersect is the largest selector inside both (property)', () => {
  fc.assert(
    fc.property(v4Arb, v4Arb, (a, b) => {
      const i = tsIntersect(a, b);
      assert.deepEqual(tsIntersect(b, a), i);
      if (i) {
        assert.ok(tsContains(a, i) && tsContains(b, i));
      } else {
        // Disjoint on address, protocol or ports.
        const addrDisjoint = toHex(a.endAddr) < toHex(b.startAddr) || toHex(b.endAddr) < toHex(a.startAddr);
        const protoDisjoint = a.ipProtocol !== 0 && b.ipProtocol !== 0 && a.ipProtocol !== b.ipProtocol;
        const portDisjoint = a.endPort < b.startPort || b.endPort < a.startPort;
        assert.ok(addrDisjoint || protoDisjoint || portDisjoint);
      }
      if (tsContains(a, b)) assert.deepEqual(i, { ...b, ipProtocol: b.ipProtocol || a.ipProtocol });
    }),
    { numRuns: 2000 },
  );
});

test('tsIntersect: RFC 7296 §2.9 narrowing examples', () => {
  const n = tsIntersect(tsFromCidr('10.0.0.0/8'), tsFromCidr('10.1.0.0/16', { protocol: 'tcp', ports: [1, 1024] }));
  assert.equal(n && tsToString(n), '10.1.0.0/16[tcp/1-1024]');
  assert.equal(tsIntersect(tsFromCidr('10.1.0.0/24'), tsFromCidr('10.2.0.0/24')), undefined);
  assert.equal(tsIntersect(tsFromCidr('10.1.0.0/24'), tsFromCidr('::/0')), undefined);
  assert.equal(
    tsIntersect(tsFromCidr('0.0.0.0/0', { protocol: 'tcp' }), tsFromCidr('0.0.0.0/0', { protocol: 'udp' })),
    undefined,
  );
  const opaque = tsFromCidr('0.0.0.0/0', { protocol: 'tcp', ports: [65535, 0] });
  assert.equal(tsToString(tsIntersect(opaque, tsFromCidr('10.0.0.0/8'))!), '10.0.0.0/8[tcp/OPAQUE]');
  assert.equal(tsIntersect(opaque, tsFromCidr('10.0.0.0/8', { ports: 80 })), undefined);
});

test('idFromString / idToString: strongSwan identity conventions', () => {
  const cases: [string, number, string][] = [
    ['10.1.0.1', IdType.ID_IPV4_ADDR, '0a010001'],
    ['fec0::1', IdType.ID_IPV6_ADDR, 'fec00000000000000000000000000001'],
    ['moon.strongswan.org', IdType.ID_FQDN, toHex(new TextEncoder().encode('moon.strongswan.org'))],
    ['@moon', IdType.ID_FQDN, toHex(new TextEncoder().encode('moon'))],
    ['carol@strongswan.org', IdType.ID_RFC822_ADDR, toHex(new TextEncoder().encode('carol@strongswan.org'))],
    ['@#0123abcd', IdType.ID_KEY_ID, '0123abcd'],
  ];
  for (const [text, idType, hex] of cases) {
    const id = idFromString(text);
    assert.equal(id.idType, idType, text);
    assert.equal(toHex(id.data), hex, text);
  }
  assert.equal(idToString(idFromString('10.1.0.1')), '10.1.0.1');
  assert.equal(idToString(idFromString('@moon')), 'moon');
  assert.equal(idToString(idFromString('@#0123abcd')), '@#0123abcd');
  assert.equal(idToString(idFromString('fqdn:10.1.0.1')), 'fqdn:10.1.0.1');
  assert.equal(idToString({ idType: IdType.ID_FQDN, data: new TextEncoder().encode('a=b') }), 'fqdn:a=b');
  const dn = idFromString('C=CH, O=strongSwan, CN=moon.strongswan.org');
  assert.equal(dn.idType, IdType.ID_DER_ASN1_DN);
  assert.equal(idToString(dn), 'C=CH, O=strongSwan, CN=moon.strongswan.org');
  assert.equal(toHex(encodeIdBody(dn)).slice(0, 10), '0900000030');
  assert.throws(() => idFromString('CN=x, FOO=bar'), ConfigError);
  assert.throws(() => idFromString(''), ConfigError);
});

test('identities round-trip through text (property)', () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  const idText = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
    fc.tuple(label, label).map(([u, d]) => `${u}@${d}.org`),
    fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => `@#${toHex(b)}`),
    fc.tuple(label, label).map(([o, cn]) => `C=CH, O=${o}, CN=${cn}`),
  );
  fc.assert(
    fc.property(idText, (text) => {
      const id = idFromString(text);
      assert.deepEqual(idFromString(idToString(id)), id);
    }),
    { numRuns: 1000 },
  );
});

test('DN encoding matches OpenSSL for PrintableString values', (t) => {
  if (!hasCommand('openssl')) return t.skip('no openssl');
  const der = dnFromString('C=CH, O=strongSwan, CN=moon.strongswan.org');
  const text = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der }).toString();
  assert.match(text, /countryName\s*\n.*PRINTABLESTRING\s+:CH/);
  assert.match(text, /commonName\s*\n.*PRINTABLESTRING\s+:moon\.strongswan\.org/);
  // OpenSSL prints the same DN back in RFC 2253 order (reversed).
  const subj = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-i'], { input: der }).toString();
  assert.ok(subj.includes('SET'));
});
