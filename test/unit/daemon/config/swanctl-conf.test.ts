/**
 * swanctl.conf(5) → typed configuration. Defaults and value syntaxes as documented in swanctl.conf(5)
 * (strongSwan src/swanctl/swanctl.opt) and implemented by charon's vici_config.c.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../../../src/common/errors.ts';
import {
  parseSwanctl,
  parseTime,
  parseBytes,
  parseTrafficSelector,
  parseAuth,
  parseList,
} from '../../../../src/daemon/config/index.ts';
import type { AuthRound, ChildConfig, ConnectionConfig } from '../../../../src/daemon/config/index.ts';
import { EAP_TTLS, FULL, RW_CERT } from './swanctl-examples.ts';

const configError = (re: RegExp) => (e: unknown) => e instanceof ConfigError && re.test(e.message);
const strip = <T extends { at: unknown }>(o: T): Omit<T, 'at'> => {
  const { at: _at, ...rest } = o;
  return rest;
};
const round = (r: AuthRound) => strip(r);
const child = (c: ChildConfig) => strip(c);
const conn = (c: ConnectionConfig) => ({
  ...strip(c),
  local: c.local.map(round),
  remote: c.remote.map(round),
  children: c.children.map(child),
});
const te = new TextEncoder();

test('a file with every supported key maps to the expected typed configuration', () => {
  const { config, warnings } = parseSwanctl(FULL, { file: 'swanctl.conf' });
  assert.deepEqual(warnings, []);
  assert.equal(config.connections.length, 1);
  assert.deepEqual(conn(config.connections[0]!), {
    name: 'gw',
    version: 2,
    localAddrs: ['192.168.0.1', '10.99.0.1'],
    remoteAddrs: ['%any'],
    localPort: 4510,
    remotePort: 4520,
    proposals: ['aes256gcm16-prfsha384-ecp384', 'aes128-sha256-x25519'],
    encap: true,
    fragmentation: 'force',
    dpdDelay: 30,
    rekeyTime: 7200,
    reauthTime: 86400,
    overTime: 600,
    randTime: 300,
    sendCertreq: false,
    sendCert: 'always',
    keyingtries: 0,
    unique: 'replace',
    mobike: false,
    local: [
      {
        section: 'local-1',
        round: 1,
        auth: 'pubkey',
        authRaw: 'ecdsa-384-sha384',
        eapType: undefined,
        eapVendor: 0,
        constraints: 'ecdsa-384-sha384',
        id: 'C=CH, O=strongSwan, CN=moon.strongswan.org',
        eapId: undefined,
        aaaId: undefined,
        caId: undefined,
        certs: ['moonCert.pem', 'moonCert2.pem'],
        cacerts: [],
        revocation: 'relaxed',
      },
      {
        section: 'local-2',
        round: 2,
        auth: 'eap',
        authRaw: 'eap-md5',
        eapType: 'md5',
        eapVendor: 0,
        constraints: undefined,
        id: undefined,
        eapId: 'carol',
        aaaId: undefined,
        caId: undefined,
        certs: [],
        cacerts: [],
        revocation: 'relaxed',
      },
    ],
    remote: [
      {
        section: 'remote',
        round: 0,
        auth: 'eap',
        authRaw: 'eap-ttls:ecdsa-256',
        eapType: 'ttls',
        eapVendor: 0,
        constraints: 'ecdsa-256',
        id: '*@strongswan.org',
        eapId: '%any',
        aaaId: 'aaa.strongswan.org',
        caId: 'C=CH, O=strongSwan, CN=strongSwan Root CA',
        certs: [],
        cacerts: ['strongswanCert.pem'],
        revocation: 'strict',
      },
    ],
    children: [
      {
        name: 'net',
        localTs: ['10.1.0.0/16', '192.168.0.1[tcp/http]'],
        remoteTs: ['dynamic[udp/500]', 'fec0::1-fec0::ff', '10.2.0.0/24[icmp/2048]'],
        espProposals: ['aes128gcm16-x25519-esn', 'default'],
        mode: 'transport',
        startAction: 'trap|start',
        dpdAction: 'restart',
        closeAction: 'trap',
        rekeyTime: 3000,
        lifeTime: 3600,
        randTime: 120,
        rekeyBytes: 500 * 1024 * 1024,
        lifeBytes: 1024 ** 3,
        randBytes: 10240,
        rekeyPackets: 1_000_000,
        lifePackets: 0x200000,
        randPackets: 100,
        replayWindow: 64,
      },
      {
        name: 'host',
        localTs: ['dynamic'],
        remoteTs: ['dynamic'],
        espProposals: ['default'],
        mode: 'tunnel',
        startAction: 'none',
        dpdAction: 'clear',
        closeAction: 'none',
        rekeyTime: 3600,
        lifeTime: 3960,
        randTime: 360,
        rekeyBytes: 0,
        lifeBytes: 0,
        randBytes: 0,
        rekeyPackets: 0,
        lifePackets: 0,
        randPackets: 0,
        replayWindow: 32,
      },
    ],
  });
  assert.deepEqual(config.secrets, [
    {
      kind: 'shared',
      type: 'ike',
      name: 'ike-moon',
      ids: ['moon.strongswan.org', 'sun.strongswan.org'],
      data: Uint8Array.from(Buffer.from('45a30759df97dc26a15b88ff', 'hex')),
    },
    { kind: 'shared', type: 'eap', name: 'eap-carol', ids: ['carol'], data: te.encode('Ar3etTnp') },
    {
      kind: 'shared',
      type: 'ike',
      name: 'ike-any',
      ids: [],
      data: Uint8Array.from(Buffer.from('FpZAZqEN6Ti9sqt4ZP5EWcqx', 'base64')),
    },
    {
      kind: 'passphrase',
      type: 'private',
      name: 'private-moon',
      file: 'moonKey.pem',
      secrets: ['passphrase one', 'passphrase two'],
    },
  ]);
  assert.equal(config.attestd?.sections.get('imv')?.values.get('policy'), 'strict');
  assert.deepEqual(config.connections[0]!.local[0]!.at, { file: 'swanctl.conf', line: 27, column: 7 });
});

test('defaults of an empty connection follow swanctl.conf(5) and vici_config.c', () => {
  const { config, warnings } = parseSwanctl('connections {\n  c {\n  }\n}\n');
  assert.deepEqual(warnings, []);
  const c = config.connections[0]!;
  assert.deepEqual(
    {
      localAddrs: c.localAddrs,
      remoteAddrs: c.remoteAddrs,
      localPort: c.localPort,
      remotePort: c.remotePort,
      proposals: c.proposals,
      encap: c.encap,
      fragmentation: c.fragmentation,
      dpdDelay: c.dpdDelay,
      rekeyTime: c.rekeyTime,
      reauthTime: c.reauthTime,
      overTime: c.overTime,
      randTime: c.randTime,
      sendCertreq: c.sendCertreq,
      sendCert: c.sendCert,
      keyingtries: c.keyingtries,
      unique: c.unique,
      mobike: c.mobike,
      local: c.local.map((r) => [r.section, r.auth]),
      remote: c.remote.map((r) => [r.section, r.auth]),
      children: c.children.length,
    },
    {
      localAddrs: ['%any'],
      remoteAddrs: ['%any'],
      localPort: 500,
      remotePort: 500,
      proposals: ['default'],
      encap: false,
      fragmentation: 'yes',
      dpdDelay: 0,
      rekeyTime: 14400,
      reauthTime: 0,
      overTime: 1440,
      randTime: 1440,
      sendCertreq: true,
      sendCert: 'ifasked',
      keyingtries: 1,
      unique: 'no',
      mobike: true,
      local: [['local', 'pubkey']],
      remote: [['remote', 'any']],
      children: 0,
    },
  );
});

test('derived lifetimes: reauth only disables rekeying; life_time alone sets rekey_time to life/1.1', () => {
  const { config } = parseSwanctl(
    'connections {\n c {\n  reauth_time = 1h\n  children {\n   x {\n    life_time = 1h\n    life_bytes = 11k\n   }\n  }\n }\n}',
  );
  const c = config.connections[0]!;
  assert.deepEqual([c.rekeyTime, c.reauthTime, c.overTime, c.randTime], [0, 3600, 360, 360]);
  const x = c.children[0]!;
  assert.deepEqual([x.rekeyTime, x.lifeTime, x.randTime], [3272, 3600, 328]);
  assert.deepEqual([x.rekeyBytes, x.lifeBytes, x.randBytes], [10240, 11264, 1024]);
});

test('enumerated values are case-insensitive, as in charon (parse_map uses strcaseeq)', () => {
  const { config } = parseSwanctl(
    'connections {\n c {\n  encap = YES\n  fragmentation = Accept\n  send_cert = ALWAYS\n  children {\n   x {\n    mode = Transport\n    start_action = Trap|Start\n   }\n  }\n }\n}',
  );
  const c = config.connections[0]!;
  assert.deepEqual([c.encap, c.fragmentation, c.sendCert], [true, 'accept', 'always']);
  assert.deepEqual([c.children[0]!.mode, c.children[0]!.startAction], ['transport', 'trap|start']);
});

test('rounds are ordered by `round`, then by position in the file (not by suffix), as charon does', () => {
  const { config } = parseSwanctl(
    'connections {\n c {\n  remote-b {\n   auth = psk\n  }\n  remote-a {\n   auth = eap\n  }\n  remote-z {\n   round = 0\n  }\n }\n}',
  );
  assert.deepEqual(
    config.connections[0]!.remote.map((r) => [r.section, r.auth]),
    [
      ['remote-b', 'psk'],
      ['remote-a', 'eap'],
      ['remote-z', 'any'],
    ],
  );
});

test('road warrior and EAP-TTLS examples parse; ignored keys become warnings with positions', () => {
  const rw = parseSwanctl(RW_CERT, { file: 'rw.conf' });
  assert.deepEqual(rw.warnings, [
    'rw.conf:16:13: connections.home.children.home.updown: not supported by attestd, ignored',
  ]);
  assert.deepEqual(rw.config.connections[0]!.children[0]!.remoteTs, ['10.1.0.0/16']);
  const ttls = parseSwanctl(EAP_TTLS);
  const remote = ttls.config.connections[0]!.remote[0]!;
  assert.deepEqual([remote.auth, remote.eapType, remote.eapId], ['eap', 'ttls', '%any']);
  assert.equal(ttls.config.secrets[0]?.kind, 'shared');
});

test('unknown keys and sections are warnings; charon would reject those inside a connection', () => {
  const { warnings } = parseSwanctl(
    'connections {\n c {\n  bogus = 1\n  pools = p1\n  children {\n   x {\n    weird = 2\n   }\n  }\n  other {\n  }\n }\n}\npools {\n}\nmything {\n}\nsecrets {\n token-1 {\n  handle = 01\n }\n}\n',
    { file: 'w.conf' },
  );
  assert.deepEqual(warnings, [
    'w.conf:7:5: connections.c.children.x.weird: unknown option, ignored (charon would discard this config)',
    'w.conf:10:3: connections.c.other: unknown section, ignored (charon would discard this config)',
    'w.conf:3:3: connections.c.bogus: unknown option, ignored (charon would discard this config)',
    'w.conf:4:3: connections.c.pools: not supported by attestd, ignored',
    'w.conf:19:2: secrets.token-1: PKCS#11 tokens are not supported, ignored',
    'w.conf:14:1: pools: not supported by attestd, ignored',
    'w.conf:16:1: mything: unknown top-level section, ignored (swanctl ignores it too)',
  ]);
});

test('validation errors name the file position, the key and the problem', () => {
  const conn = (body: string) => `connections {\n c {\n${body}\n }\n}\n`;
  const cases: [string, RegExp][] = [
    [conn('  version = 1'), /^f:3:3: connections\.c\.version = 1: IKEv1 is not supported/],
    [
      conn('  version = 0'),
      /^f:3:3: connections\.c\.version = 0: version 0 .* not supported: attestd speaks IKEv2 only/,
    ],
    [conn('  version = 3'), /unknown IKE version 3/],
    [conn('  local {\n   auth = xauth\n  }'), /^f:4:4: connections\.c\.local\.auth = xauth: XAuth is IKEv1 only/],
    [
      conn('  remote {\n   auth = kerberos\n  }'),
      /connections\.c\.remote\.auth = kerberos: unknown authentication 'kerberos'/,
    ],
    [conn('  remote {\n   auth = eap-foo\n  }'), /unknown EAP method 'foo'/],
    [conn('  rekey_time = 5x'), /^f:3:3: connections\.c\.rekey_time = 5x: bad time suffix 'x'/],
    [conn('  dpd_delay = soon'), /dpd_delay = soon: expected a time/],
    [
      conn('  children {\n   x {\n    rekey_bytes = 1t\n   }\n  }'),
      /^f:5:5: connections\.c\.children\.x\.rekey_bytes = 1t: bad byte suffix 't'/,
    ],
    [
      conn('  children {\n   x {\n    local_ts = 10.1.0.0/33\n   }\n  }'),
      /local_ts = 10\.1\.0\.0\/33: traffic selector '10\.1\.0\.0\/33': bad prefix length '33'/,
    ],
    [conn('  children {\n   x {\n    remote_ts = 10.1.0.0/16[foo]\n   }\n  }'), /unknown protocol 'foo'/],
    [
      conn('  children {\n   x {\n    remote_ts = 10.1.0.1-fec0::1\n   }\n  }'),
      /a range needs two addresses of one family/,
    ],
    [
      conn('  children {\n   x {\n    remote_ts = dynamic, moon\n   }\n  }'),
      /traffic selector 'moon': expected dynamic/,
    ],
    [conn('  children {\n   x {\n    mode = beet\n   }\n  }'), /mode beet is not supported/],
    [conn('  children {\n   x {\n    start_action = later\n   }\n  }'), /expected none, trap, start/],
    [conn('  fragmentation = maybe'), /expected one of yes, accept, force, no, found 'maybe'/],
    [conn('  encap = si'), /expected yes or no, found 'si'/],
    [conn('  local_port = 70000'), /70000 is larger than 65535/],
    [conn('  proposals = aes128--sha256'), /bad proposal 'aes128--sha256'/],
    ['secrets {\n ike-1 {\n  id = a\n }\n}\n', /^f:2:2: secrets\.ike-1\.secret: missing in 'ike-1'/],
    ['secrets {\n ike-1 {\n  secret = 0xabc\n }\n}\n', /secret = 0xabc: bad hex after 0x/],
    ['secrets {\n private-1 {\n  secret = x\n }\n}\n', /secrets\.private-1\.file: missing/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseSwanctl(text, { file: 'f' }), configError(re), text);
});

test('time values: s/m/h/d suffixes (case-insensitive, blank allowed), hex and octal as strtoul(…, 0)', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['90', 90],
    ['90s', 90],
    ['10m', 600],
    ['4h', 14400],
    ['1d', 86400],
    ['2 H', 7200],
    ['0x10', 16],
    ['010', 8],
  ];
  for (const [s, v] of cases) assert.equal(parseTime(s), v, s);
  for (const bad of ['', 'h', '1w', '-1', '1.5h', '1hh']) assert.throws(() => parseTime(bad), ConfigError, bad);
  fc.assert(
    fc.property(
      fc.nat({ max: 1e6 }),
      fc.constantFrom(['s', 1], ['m', 60], ['h', 3600], ['d', 86400], ['', 1]),
      (n, [u, f]) => {
        assert.equal(parseTime(`${n}${u}`), n * (f as number));
      },
    ),
  );
});

test('byte values: k/m/g are powers of 1024', () => {
  assert.equal(parseBytes('512'), 512);
  assert.equal(parseBytes('2k'), 2048);
  assert.equal(parseBytes('3M'), 3 * 1024 ** 2);
  assert.equal(parseBytes('1g'), 1024 ** 3);
  assert.throws(() => parseBytes('1kb'), ConfigError);
  fc.assert(
    fc.property(fc.nat({ max: 1e6 }), fc.constantFrom(['k', 1024], ['m', 1024 ** 2], ['g', 1024 ** 3]), (n, [u, f]) => {
      assert.equal(parseBytes(`${n}${u}`), n * (f as number));
    }),
  );
});

test('traffic selectors: subnets, addresses, ranges, dynamic, protocol and port restrictions', () => {
  assert.deepEqual(parseTrafficSelector('10.1.0.0/16'), {
    kind: 'subnet',
    from: '10.1.0.0',
    to: undefined,
    prefix: 16,
    family: 4,
    protocol: 0,
    fromPort: 0,
    toPort: 65535,
  });
  assert.deepEqual(parseTrafficSelector('fec0::1'), {
    kind: 'subnet',
    from: 'fec0::1',
    to: undefined,
    prefix: 128,
    family: 6,
    protocol: 0,
    fromPort: 0,
    toPort: 65535,
  });
  assert.deepEqual(parseTrafficSelector('10.0.0.1-10.0.0.9[udp/500-4500]'), {
    kind: 'range',
    from: '10.0.0.1',
    to: '10.0.0.9',
    prefix: undefined,
    family: 4,
    protocol: 17,
    fromPort: 500,
    toPort: 4500,
  });
  assert.deepEqual(parseTrafficSelector('dynamic[tcp/https]'), {
    kind: 'dynamic',
    from: undefined,
    to: undefined,
    prefix: undefined,
    family: undefined,
    protocol: 6,
    fromPort: 443,
    toPort: 443,
  });
  assert.deepEqual(parseTrafficSelector('0.0.0.0/0[47/opaque]'), {
    kind: 'subnet',
    from: '0.0.0.0',
    to: undefined,
    prefix: 0,
    family: 4,
    protocol: 47,
    fromPort: 65535,
    toPort: 0,
  });
  for (const bad of [
    '10.1.0.0/16[tcp',
    '10.1.0.0/16[tcp/99999]',
    'moon.example',
    '10.1/8',
    '::/129',
    '10.0.0.1[tcp/http]x',
  ])
    assert.throws(() => parseTrafficSelector(bad), ConfigError, bad);
});

test('auth values reduce to class, EAP method and constraints', () => {
  assert.deepEqual(parseAuth('pubkey'), { auth: 'pubkey', eapType: undefined, eapVendor: 0, constraints: undefined });
  assert.deepEqual(parseAuth('rsa-2048-sha256'), {
    auth: 'pubkey',
    eapType: undefined,
    eapVendor: 0,
    constraints: 'rsa-2048-sha256',
  });
  assert.deepEqual(parseAuth('ike:ecdsa-sha384'), {
    auth: 'pubkey',
    eapType: undefined,
    eapVendor: 0,
    constraints: 'ike:ecdsa-sha384',
  });
  assert.deepEqual(parseAuth('psk'), { auth: 'psk', eapType: undefined, eapVendor: 0, constraints: undefined });
  assert.deepEqual(parseAuth('eap'), { auth: 'eap', eapType: undefined, eapVendor: 0, constraints: undefined });
  assert.deepEqual(parseAuth('eap-TTLS'), { auth: 'eap', eapType: 'ttls', eapVendor: 0, constraints: undefined });
  assert.deepEqual(parseAuth('eap-253-36906'), {
    auth: 'eap',
    eapType: '253',
    eapVendor: 36906,
    constraints: undefined,
  });
  assert.deepEqual(parseAuth('eap-tls:rsa-2048-sha256'), {
    auth: 'eap',
    eapType: 'tls',
    eapVendor: 0,
    constraints: 'rsa-2048-sha256',
  });
});

test('property: generated connections written in swanctl syntax read back as the same typed values', () => {
  const timeUnit = fc.constantFrom(['s', 1], ['m', 60], ['h', 3600], ['d', 86400]);
  const time = fc
    .tuple(fc.integer({ min: 0, max: 500 }), timeUnit)
    .map(([n, [u, f]]) => ({ text: `${n}${u as string}`, value: n * (f as number) }));
  const ipv4 = fc.ipV4();
  const subnet = fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
  const ts = fc.oneof(
    subnet,
    fc.constant('dynamic'),
    fc.ipV6().map((a) => `${a}/128`),
    subnet.map((s) => `${s}[udp/500]`),
  );
  const gen = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/).filter((n) => n !== 'include'),
    localAddrs: fc.array(ipv4, { minLength: 1, maxLength: 3 }),
    remotePort: fc.integer({ min: 1, max: 65535 }),
    encap: fc.boolean(),
    fragmentation: fc.constantFrom('yes', 'accept', 'force', 'no'),
    dpd: time,
    rekey: time,
    auth: fc.constantFrom('psk', 'pubkey', 'eap-ttls', 'eap-md5', 'eap'),
    id: fc.constantFrom('moon.example', 'carol@example.org', '10.1.0.1', 'C=CH, O=x, CN=y'),
    localTs: fc.array(ts, { minLength: 1, maxLength: 4 }),
    childRekey: time,
  });
  fc.assert(
    fc.property(gen, (g) => {
      const text = [
        'connections {',
        ` ${g.name} {`,
        `  local_addrs = ${g.localAddrs.join(', ')}`,
        `  remote_port = ${g.remotePort}`,
        `  encap = ${g.encap ? 'yes' : 'no'}`,
        `  fragmentation = ${g.fragmentation}`,
        `  dpd_delay = ${g.dpd.text}`,
        `  rekey_time = ${g.rekey.text}`,
        `  local {\n   auth = ${g.auth}\n   id = "${g.id}"\n  }`,
        `  children {\n   c {\n    local_ts = ${g.localTs.join(',')}\n    rekey_time = ${g.childRekey.text}\n   }\n  }`,
        ' }',
        '}',
      ].join('\n');
      const { config, warnings } = parseSwanctl(text);
      assert.deepEqual(warnings, []);
      const c = config.connections[0]!;
      assert.equal(c.name, g.name);
      assert.deepEqual(c.localAddrs, g.localAddrs);
      assert.equal(c.remotePort, g.remotePort);
      assert.equal(c.encap, g.encap);
      assert.equal(c.fragmentation, g.fragmentation);
      assert.equal(c.dpdDelay, g.dpd.value);
      assert.equal(c.rekeyTime, g.rekey.value);
      assert.equal(c.overTime, Math.floor(g.rekey.value / 10));
      assert.equal(c.local[0]!.auth, g.auth.startsWith('eap') ? 'eap' : g.auth);
      assert.equal(c.local[0]!.eapType, g.auth.startsWith('eap-') ? g.auth.slice(4) : undefined);
      assert.equal(c.local[0]!.id, g.id);
      assert.deepEqual(c.children[0]!.localTs, g.localTs);
      assert.equal(c.children[0]!.rekeyTime, g.childRekey.value);
      assert.equal(c.children[0]!.lifeTime, Math.floor(g.childRekey.value * 1.1));
    }),
    { numRuns: 300 },
  );
});

test("lists split as swanctl's token enumerator does: commas, spaces trimmed, empty items dropped, quoted items", () => {
  const cases: [string, string[]][] = [
    ['a, b,c', ['a', 'b', 'c']],
    [' , a,, b , ', ['a', 'b']],
    ["'x,y', z", ['x,y', 'z']],
    ['"p q",r', ['p q', 'r']],
    ['"unterminated, x', ['"unterminated', 'x']],
    ['\ta', ['\ta']],
    ['a b, c', ['a b', 'c']],
    ['', []],
  ];
  for (const [s, items] of cases) assert.deepEqual(parseList(s), items, s);
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z0-9.:/%-]{1,12}$/), { maxLength: 6 }),
      fc.constantFrom(',', ', ', ' , '),
      (items, sep) => {
        assert.deepEqual(parseList(items.join(sep)), items);
      },
    ),
  );
});
