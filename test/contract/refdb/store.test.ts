/**
 * The RefStore contract, run on SQLite and PostgreSQL alike: migrations, products/groups/devices, reference file
 * hashes (bulk import and batched lookup), packages, components, SWID tags and events, transactions.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openStore } from '../../../src/refdb/open.ts';
import { LATEST_VERSION, MIGRATIONS } from '../../../src/refdb/migrations.ts';
import { BATCH } from '../../../src/refdb/store.ts';
import type { FileHashRow } from '../../../src/refdb/types.ts';
import { forEachStore } from './stores.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const digest = (n: number, len = 32) => Buffer.alloc(len, n % 256).toString('hex');

forEachStore('migrations apply in order once and are recorded', async (store, c) => {
  assert.equal(await store.schemaVersion(), LATEST_VERSION);
  assert.deepEqual((await store.migrate()).applied, [], 'reopening applies nothing');
  const rows = await store.driver.all('SELECT version, name FROM schema_version ORDER BY version');
  assert.deepEqual(
    rows.map((r) => Number(r.version)),
    MIGRATIONS.map((m) => m.version),
  );
  // A database left at version 1 gets exactly the later steps.
  const old = await openStore(await c.fresh(), { migrate: false });
  try {
    assert.equal(await old.schemaVersion(), 0);
    assert.deepEqual((await old.migrate(1)).applied, [1]);
    await assert.rejects(old.driver.run('UPDATE groups SET tofu = 1'), 'tofu arrives with migration 2');
    const r = await old.migrate();
    assert.deepEqual(
      r.applied,
      MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version),
    );
    assert.equal(r.from, 1);
    assert.equal(r.to, LATEST_VERSION);
    await old.checkSchema();
  } finally {
    await old.close();
  }
});

forEachStore('a newer schema than the code is refused', async (store) => {
  await store.driver.run('INSERT INTO schema_version (version, name, applied) VALUES (?, ?, ?)', [
    LATEST_VERSION + 1,
    'future',
    0,
  ]);
  await assert.rejects(store.migrate(), /newer than this attestd/);
});

forEachStore('products, groups and devices: idempotent adds, trust flag, unknown devices untrusted', async (store) => {
  const p = await store.addProduct('Debian 12 x86_64');
  assert.equal(await store.addProduct('Debian 12 x86_64'), p);
  assert.deepEqual(await store.productByName('Debian 12 x86_64'), { id: p, name: 'Debian 12 x86_64' });
  assert.equal(await store.productByName('nope'), undefined);

  const root = await store.addGroup({ name: 'Default' });
  const child = await store.addGroup({ name: 'Linux', parent: root, tofu: true });
  assert.deepEqual(
    (await store.listGroups()).map((g) => [g.name, g.parent, g.tofu]),
    [
      ['Default', null, false],
      ['Linux', root, true],
    ],
  );

  const aik = 'a1b2c3d4'.repeat(5);
  assert.equal(await store.isDeviceTrusted(aik), false, 'unknown AIK');
  const d = await store.addDevice({ value: aik, product: p, description: 'laptop' });
  assert.equal(await store.addDevice({ value: aik, trusted: true }), d, 'same device');
  assert.equal(await store.isDeviceTrusted(aik), false, 'an existing device keeps its flag');
  assert.equal(await store.setDeviceTrusted(d, true), true);
  assert.equal(await store.isDeviceTrusted(aik), true);
  await store.driver.run('UPDATE devices SET inactive = 1 WHERE id = ?', [d]);
  assert.equal(await store.isDeviceTrusted(aik), false, 'inactive devices are not trusted');
  await store.addGroupMember(child, d);
  await store.addGroupMember(child, d);
  assert.deepEqual(await store.deviceGroups(d), [child]);
  await store.setProductDefaultGroup(child, p);
  assert.equal(await store.productDefaultGroup(p), child);
  assert.equal(await store.setDeviceTrusted(9999, true), false);
});

forEachStore(
  'file hashes: import, batched lookup per product, algorithm and version; reimport replaces',
  async (store) => {
    const p1 = await store.addProduct('P1');
    const p2 = await store.addProduct('P2');
    const rows: FileHashRow[] = [
      { path: '/usr/bin/ls', algo: 'sha256', digest: digest(1) },
      { path: '/usr/bin/ls', algo: 'sha1', digest: digest(2, 20) },
      { path: '/vmlinuz', algo: 'sha256', digest: digest(3) },
      { path: '/opt/it\'s a "dir"/ünïcode file', algo: 'sha384', digest: digest(4, 48) },
    ];
    assert.equal(await store.importFileHashes(p1, rows), 4);
    await store.importFileHashes(p2, [{ path: '/usr/bin/ls', algo: 'sha256', digest: digest(9) }]);
    await store.importFileHashes(p1, [{ path: '/usr/bin/ls', algo: 'sha256', digest: digest(7) }], '2.0');

    const all = await store.fileHashes(p1, ['/usr/bin/ls', '/vmlinuz', rows[3]!.path, '/not/there', '/usr/bin/ls']);
    assert.deepEqual([...all.keys()].sort(), [rows[3]!.path, '/usr/bin/ls', '/vmlinuz'].sort());
    assert.deepEqual(
      all.get('/usr/bin/ls')!.map((h) => [h.version, h.algo, hex(h.digest)]),
      [
        ['', 'sha1', digest(2, 20)],
        ['', 'sha256', digest(1)],
        ['2.0', 'sha256', digest(7)],
      ],
    );
    const sha256 = await store.fileHashes(p1, ['/usr/bin/ls'], 'sha256');
    assert.deepEqual(
      sha256.get('/usr/bin/ls')!.map((h) => hex(h.digest)),
      [digest(1), digest(7)],
    );
    assert.equal(
      hex((await store.fileHashes(p2, ['/usr/bin/ls'])).get('/usr/bin/ls')![0]!.digest),
      digest(9),
      'per product',
    );

    await store.importFileHashes(p1, [{ path: '/vmlinuz', algo: 'sha256', digest: digest(5) }]);
    assert.equal(hex((await store.fileHashes(p1, ['/vmlinuz'])).get('/vmlinuz')![0]!.digest), digest(5), 'replaced');
    assert.equal(await store.countFileHashes(p1), 5);
    const inDir = await store.directoryHashes(p1, '/usr/bin', 'sha256');
    assert.deepEqual([...inDir.keys()], ['/usr/bin/ls']);

    await assert.rejects(store.importFileHashes(p1, [{ path: '/x', algo: 'sha256', digest: 'zz' }]), {
      code: 'ERR_PARSE',
    });
    assert.equal(await store.countFileHashes(p1), 5, 'a failed import changes nothing');
  },
);

forEachStore('file hashes: imports and lookups across batch boundaries', async (store) => {
  const p = await store.addProduct('Big');
  const n = BATCH * 2 + 123;
  const rows: FileHashRow[] = [];
  for (let i = 0; i < n; i++)
    rows.push({ path: `/lib/d${i % 97}/f${i}`, algo: 'sha256', digest: (i + 1).toString(16).padStart(64, '0') });
  assert.equal(await store.importFileHashes(p, rows), n);
  const found = await store.fileHashes(p, rows.map((r) => r.path).concat(['/lib/none']), 'sha256');
  assert.equal(found.size, n);
  for (const i of [0, BATCH - 1, BATCH, n - 1]) {
    assert.equal(hex(found.get(rows[i]!.path)![0]!.digest), rows[i]!.digest);
  }
  // In one import, a path repeated in a later batch: the last digest wins.
  const q = await store.addProduct('Repeat');
  const rep: FileHashRow[] = [];
  for (let i = 0; i < BATCH + 10; i++) rep.push({ path: `/r/f${i}`, algo: 'sha256', digest: digest(1) });
  rep.push({ path: '/r/f0', algo: 'sha256', digest: digest(2) }, { path: '/r/f1', algo: 'sha256', digest: digest(3) });
  rep.push({ path: '/r/f1', algo: 'sha256', digest: digest(4) });
  assert.equal(await store.importFileHashes(q, rep), BATCH + 12);
  const got = await store.fileHashes(q, ['/r/f0', '/r/f1', '/r/f2']);
  assert.deepEqual(
    ['/r/f0', '/r/f1', '/r/f2'].map((p) => got.get(p)!.map((h) => hex(h.digest))),
    [[digest(2)], [digest(4)], [digest(1)]],
  );
  assert.equal(await store.countFileHashes(q), BATCH + 10);
});

forEachStore('file hashes: what is imported is what a lookup returns (property)', async (store) => {
  const p = await store.addProduct('Prop');
  const seg = fc.stringMatching(/^[a-zA-Z0-9 ._'"ä-]{1,12}$/);
  let round = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.array(seg, { minLength: 1, maxLength: 4 }), {
        minLength: 1,
        maxLength: 30,
        selector: (s) => s.join('/'),
      }),
      async (paths) => {
        const version = `r${++round}`;
        const rows = paths.map((s, i) => ({
          path: `/${s.join('/')}`,
          algo: 'sha256' as const,
          digest: digest(i + round),
        }));
        await store.importFileHashes(p, rows, version);
        const got = await store.fileHashes(p, [...rows.map((r) => r.path), '/absent/x'], 'sha256');
        for (const r of rows) {
          const mine = got.get(r.path)?.find((h) => h.version === version);
          assert.equal(mine && hex(mine.digest), r.digest, r.path);
        }
        assert.equal(got.has('/absent/x'), false);
      },
    ),
    { numRuns: 15 },
  );
});

forEachStore('packages: versions per product with security and blacklist flags', async (store) => {
  const p = await store.addProduct('Debian 12 x86_64');
  const q = await store.addProduct('Debian 11 x86_64');
  assert.equal(
    await store.importPackageVersions(p, [
      { name: 'openssl', release: '3.0.11-1~deb12u1', time: 100 },
      { name: 'openssl', release: '3.0.11-1~deb12u2', security: true, time: 200 },
      { name: 'bash', release: '5.2.15-2+b2' },
    ]),
    3,
  );
  await store.importPackageVersions(q, [{ name: 'openssl', release: '1.1.1w-0+deb11u1' }]);
  await store.importPackageVersions(p, [{ name: 'openssl', release: '3.0.11-1~deb12u1', blacklist: true, time: 100 }]);
  await store.setPackageBlacklist('telnetd', true);
  const m = await store.packageVersions(p, ['openssl', 'bash', 'telnetd', 'unknown']);
  assert.deepEqual(m.get('openssl'), {
    name: 'openssl',
    blacklist: false,
    versions: [
      { release: '3.0.11-1~deb12u2', security: true, blacklist: false, time: 200 },
      { release: '3.0.11-1~deb12u1', security: false, blacklist: true, time: 100 },
    ],
  });
  assert.equal(m.get('bash')!.versions.length, 1);
  assert.deepEqual(m.get('telnetd'), { name: 'telnetd', blacklist: true, versions: [] });
  assert.equal(m.has('unknown'), false);
});

forEachStore('components: per-device boot reference hashes in sequence order', async (store) => {
  const d = await store.addDevice({ value: 'aik-1' });
  const e = await store.addDevice({ value: 'aik-2' });
  const comp = { vendorId: 36906, name: 3, qualifier: 33 };
  const c = await store.addComponent({ ...comp, label: 'B' });
  assert.equal(await store.addComponent(comp), c);
  const b = (n: number) => new Uint8Array(32).fill(n);
  await store.addComponentHashes(c, d, [
    { seqNo: 2, pcr: 4, algo: 'sha256', digest: b(2) },
    { seqNo: 1, pcr: 0, algo: 'sha256', digest: b(1) },
  ]);
  await store.addComponentHashes(c, d, [{ seqNo: 2, pcr: 5, algo: 'sha256', digest: b(3) }]);
  const got = await store.componentHashes(comp, d, 'sha256');
  assert.deepEqual(
    got.map((h) => [h.seqNo, h.pcr, hex(h.digest)]),
    [
      [1, 0, hex(b(1))],
      [2, 5, hex(b(3))],
    ],
  );
  assert.deepEqual(await store.componentHashes(comp, e, 'sha256'), []);
  assert.deepEqual(await store.componentHashes(comp, d, 'sha1'), []);
  await assert.rejects(
    store.addComponentHashes(c, d, [{ seqNo: 3, pcr: 0, algo: 'sha256', digest: b(1).subarray(1) }]),
  );
});

forEachStore('SWID tags and events', async (store) => {
  const d = await store.addDevice({ value: 'aik-swid' });
  assert.equal(await store.lastSwidEid(d), 0);
  const t1 = await store.addSwidTag({
    packageName: 'bash',
    versionStr: '5.2',
    uniqueId: 'debian12-bash-5.2',
    softwareId: 'strongswan.org__debian12-bash-5.2',
    swidXml: '<SoftwareIdentity/>',
  });
  const t2 = await store.addSwidTag({
    packageName: 'ls',
    versionStr: '1',
    uniqueId: 'u',
    softwareId: 'sid-2',
    swidXml: '',
  });
  assert.notEqual(t1, t2);
  await store.addSwidEvent({ device: d, epoch: 7, eid: 1, timestamp: '2026-11-23T12:00:00Z' }, [
    { tag: t1, action: 1 },
  ]);
  await store.addSwidEvent({ device: d, epoch: 7, eid: 2, timestamp: '2026-11-23T12:01:00Z' }, [
    { tag: t1, action: 2 },
    { tag: t2, action: 1 },
  ]);
  assert.equal(await store.lastSwidEid(d), 2);
  const ev = await store.swidEvents(d);
  assert.deepEqual(
    ev.map((e) => [e.eid, e.tags.map((t) => [t.tag, t.action])]),
    [
      [1, [[t1, 1]]],
      [
        2,
        [
          [t1, 2],
          [t2, 1],
        ],
      ],
    ],
  );
  const tags = await store.swidTags(['sid-2', 'strongswan.org__debian12-bash-5.2', 'nope']);
  assert.equal(tags.size, 2);
  assert.equal(tags.get('sid-2')!.id, t2);
});

forEachStore('transactions: a throwing body rolls everything back', async (store) => {
  await assert.rejects(
    store.transaction(async (s) => {
      await s.addProduct('rolled back');
      await s.importFileHashes(await s.addProduct('also rolled back'), [
        { path: '/a', algo: 'sha1', digest: digest(1, 20) },
      ]);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(await store.listProducts(), []);
  assert.equal(await store.countFileHashes(), 0);
  // The store still works afterwards.
  assert.ok((await store.addProduct('after')) > 0);
});
