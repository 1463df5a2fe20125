/**
 * Importing a strongSwan IMV config.db (built here with its tables.sql column layout) on both stores.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importStrongswanDb } from '../../../src/refdb/import/strongswan.ts';
import { startSession } from '../../../src/refdb/policy.ts';
import { PolicyType } from '../../../src/refdb/types.ts';
import { buildStrongswanDb, SAMPLE } from './strongswan-db.ts';
import { forEachStore } from './stores.ts';

forEachStore('a strongSwan config.db imports with its policies, references and history', async (store) => {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-ssdb-'));
  try {
    const path = join(dir, 'config.db');
    buildStrongswanDb(path);
    const counts = await importStrongswanDb(store, path);
    assert.equal(counts.products, 2);
    assert.equal(counts.groups, 3);
    assert.equal(counts.policies, 4);
    assert.equal(counts.enforcements, 3);
    assert.equal(counts.file_hashes, 3);
    assert.equal(counts.component_hashes, 1);
    assert.equal(counts.results, 1);

    const debian = (await store.productByName('Debian 7.0 x86_64'))!.id;
    const h = await store.fileHashes(debian, ['/usr/bin/openssl', '/usr/bin/ls']);
    assert.deepEqual(
      h.get('/usr/bin/openssl')!.map((x) => [x.algo, Buffer.from(x.digest).toString('hex'), x.version]),
      [
        ['sha1', SAMPLE.sha1, ''],
        ['sha256', SAMPLE.sha256, ''],
      ],
    );
    assert.equal(h.get('/usr/bin/ls')![0]!.version, 'openssl 1.0.1e-2+deb7u4');

    assert.equal(await store.isDeviceTrusted(SAMPLE.aik), true);
    const groups = await store.listGroups();
    const byName = new Map(groups.map((g) => [g.name, g]));
    assert.equal(byName.get('Debian x86_64')!.parent, byName.get('Linux')!.id);
    assert.equal(byName.get('Linux')!.parent, byName.get('Default')!.id);

    const pkgs = await store.packageVersions(debian, ['openssl', 'telnetd']);
    assert.deepEqual(
      pkgs.get('openssl')!.versions.map((x) => [x.release, x.security]),
      [['1.0.1e-2+deb7u4', true]],
    );
    assert.equal(pkgs.get('telnetd')!.blacklist, true);

    const device = (await store.deviceByValue(SAMPLE.aik))!;
    const comp = await store.componentHashes({ vendorId: 36906, name: 3, qualifier: 33 }, device.id, 'sha256');
    assert.equal(Buffer.from(comp[0]!.digest).toString('hex'), SAMPLE.sha256);

    // The imported policies drive a session the way they drove strongSwan: the device's group chain.
    const s = await startSession(store, { product: 'Debian 7.0 x86_64', device: SAMPLE.aik, now: 1400000200 });
    const types = s.workItems.map((w) => w.type).sort((a, b) => a - b);
    assert.deepEqual(
      types,
      [PolicyType.FILE_MEAS, PolicyType.DIR_MEAS],
      'packages skipped: allowed 100 s ago, max_age 1 day',
    );
    const dirItem = s.workItems.find((w) => w.type === PolicyType.DIR_MEAS)!;
    assert.equal(dirItem.recFail, 1, 'enforcement rec_fail');
    assert.equal(await store.pathOf('dir', dirItem.argInt), '/usr/sbin');
    assert.equal((await store.swidTags(['regid.1995-04.org.debian__debian7-openssl'])).size, 1);

    // Importing twice is idempotent for the reference data.
    await importStrongswanDb(store, path);
    assert.equal(await store.countFileHashes(), 3);
    assert.equal((await store.listPolicies()).length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
