/**
 * OS collector (RFC 5792 IETF Operating System attributes): the system parsers over fixture text, and the
 * collector answering an Attribute Request exclusively with exactly the attributes asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { silentLogger } from '../../../src/common/index.ts';
import { IetfAttr, Pen, defaultPaRegistry, encodePaMessage, decodePaMessage } from '../../../src/tnc/pa/index.ts';
import {
  createImc,
  createOsImc,
  numericVersion,
  parseApkInstalled,
  parseDpkgStatus,
  parseOsRelease,
  parseProcNet,
  staticOsInfo,
  systemOsInfo,
} from '../../../src/imc/os/index.ts';
import { debianInfo } from '../tnc/imc-imv/helpers.ts';

const ctx = { id: 'c', peer: { method: 'none' } as const, transport: 'in-process', log: silentLogger };

test('os-release, numeric version', async () => {
  const r = parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n');
  assert.deepEqual(r, { NAME: 'Debian GNU/Linux', VERSION_ID: '12', ID: 'debian' });
  assert.deepEqual(numericVersion('3.19.1'), {
    major: 3,
    minor: 19,
    build: 1,
    servicePackMajor: 0,
    servicePackMinor: 0,
  });
  assert.equal(numericVersion('rolling').major, 0);
});

test('dpkg status keeps installed packages only; apk db', async () => {
  const dpkg = [
    'Package: a\nStatus: install ok installed\nVersion: 1.0',
    'Package: b\nStatus: deinstall ok config-files\nVersion: 2.0',
    'Package: c\nStatus: install ok installed\nVersion: 3:4.5-6',
  ].join('\n\n');
  assert.deepEqual(parseDpkgStatus(dpkg), [
    { name: 'a', version: '1.0' },
    { name: 'c', version: '3:4.5-6' },
  ]);
  assert.deepEqual(parseApkInstalled('C:x\nP:musl\nV:1.2.4-r2\n\nP:busybox\nV:1.36.1-r5\n'), [
    { name: 'musl', version: '1.2.4-r2' },
    { name: 'busybox', version: '1.36.1-r5' },
  ]);
});

test('/proc/net parsing: listening TCP (0A) and unconnected UDP (07), deduplicated and sorted', async () => {
  const head = '  sl  local_address rem_address   st\n';
  const tcp =
    head +
    '   0: 00000000:0016 00000000:0000 0A\n   1: 0100007F:E724 0100007F:8E26 01\n   2: 00000000:0016 00000000:0000 0A\n   3: 00000000:010F 00000000:0000 0A\n';
  assert.deepEqual(parseProcNet(tcp, 6), [
    { blocked: false, protocol: 6, port: 22 },
    { blocked: false, protocol: 6, port: 271 },
  ]);
  const udp = head + '   0: 00000000:1194 00000000:0000 07\n';
  assert.deepEqual(parseProcNet(udp, 17), [{ blocked: false, protocol: 17, port: 4500 }]);
  fc.assert(fc.property(fc.string(), (s) => void parseProcNet(s, 6)));
});

test('systemOsInfo over a fixture root, with a package file and a default-password file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'attestd-imc-os-'));
  try {
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'proc/sys/net/ipv4'), { recursive: true });
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), 'PRETTY_NAME="Alpine Linux v3.19"\nVERSION_ID=3.19.1\n');
    writeFileSync(join(root, 'proc/sys/net/ipv4/ip_forward'), '1\n');
    writeFileSync(
      join(root, 'proc/net/tcp'),
      '  sl  local_address rem_address   st\n   0: 00000000:0016 00000000:0000 0A\n',
    );
    writeFileSync(join(root, 'packages'), 'openssl 3.1.4-r5\nmusl 1.2.4-r2\n');
    writeFileSync(join(root, 'pwd'), 'yes\n');
    const info = systemOsInfo({
      root,
      packagesFile: join(root, 'packages'),
      defaultPassword: join(root, 'pwd'),
    }).collect();
    assert.equal(info.product.name, 'Alpine Linux v3.19');
    assert.equal(info.numeric.minor, 19);
    assert.equal(info.forwarding, 1);
    assert.equal(info.defaultPasswordEnabled, true);
    assert.deepEqual(info.packages[0], { name: 'openssl', version: '3.1.4-r5' });
    assert.deepEqual(info.ports, [{ blocked: false, protocol: 6, port: 22 }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('this system can be collected (whatever it is)', async () => {
  const info = systemOsInfo().collect();
  assert.ok(info.product.name.length > 0);
  assert.ok([0, 1, 2].includes(info.forwarding));
  // every attribute encodes
  const imc = createImc({}).connect(ctx);
  const out = await imc.receive({
    vendor: Pen.IETF,
    subtype: 1,
    messageId: 1,
    exclusive: false,
    sourceId: 3,
    destinationId: 0xffff,
    attributes: [
      {
        kind: 'ietf/attribute-request',
        requests: Object.values(IetfAttr)
          .slice(2, 13)
          .map((type) => ({ vendor: 0, type })),
      } as never,
    ],
  });
  assert.equal(out.length, 1);
  const bytes = encodePaMessage({ messageId: 1, attributes: out[0]!.attributes }, defaultPaRegistry);
  assert.equal(decodePaMessage(bytes).attributes.length, out[0]!.attributes.length);
});

test('the collector answers exactly the requested attributes, exclusively to the requester; silent by default', async () => {
  const imc = createOsImc({ source: staticOsInfo(debianInfo()) }).connect(ctx);
  assert.deepEqual(await imc.beginHandshake(), []);
  const req = (types: number[]) => ({
    vendor: Pen.IETF,
    subtype: 1,
    messageId: 1,
    exclusive: false,
    sourceId: 4,
    destinationId: 0xffff,
    attributes: [
      { kind: 'ietf/attribute-request', requests: types.map((type) => ({ vendor: Pen.IETF, type })) } as never,
    ],
  });
  const out = await imc.receive(
    req([IetfAttr.PRODUCT_INFORMATION, IetfAttr.FORWARDING_ENABLED, IetfAttr.ASSESSMENT_RESULT]),
  );
  assert.equal(out[0]!.to, 4);
  assert.deepEqual(
    out[0]!.attributes.map((a) => a.kind),
    ['ietf/product-information', 'ietf/forwarding-enabled'],
  );
  assert.deepEqual(await imc.receive(req([IetfAttr.ASSESSMENT_RESULT])), []);
  const push = createOsImc({ source: staticOsInfo(debianInfo()), pushInfo: true }).connect(ctx);
  assert.equal((await push.beginHandshake())[0]!.attributes.length, 5);
});
