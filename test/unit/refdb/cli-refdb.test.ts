/**
 * `attestd refdb` end to end on a SQLite file: policy set-up, reference hashes from a measured tree and from a
 * manifest, packages from a dpkg status file, device trust, listing, and a strongSwan config.db import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../../src/cli/commands/refdb.ts';
import { openStore } from '../../../src/refdb/open.ts';
import { recordAssessment } from '../../../src/refdb/assessments.ts';
import { LATEST_VERSION } from '../../../src/refdb/migrations.ts';
import { buildStrongswanDb, SAMPLE } from '../../contract/refdb/strongswan-db.ts';

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    const code = await command.run(args);
    return { code, out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

test('attestd refdb manages policies, references, packages and devices', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-refdb-cli-'));
  try {
    const db = `sqlite:${join(dir, 'ref.sqlite')}`;
    const j = async (...a: string[]) => JSON.parse((await cli('--db', db, '--json', ...a)).out) as unknown;

    assert.deepEqual(await j('products', 'add', 'Debian 12 x86_64'), { id: 1 });
    await cli('--db', db, 'groups', 'add', 'Default');
    await cli('--db', db, 'groups', 'add', 'Linux', '--parent', 'Default', '--tofu', '--product', 'Debian 12 x86_64');
    assert.deepEqual(await j('groups', 'list'), [
      { id: 1, name: 'Default', parent: null, tofu: false },
      { id: 2, name: 'Linux', parent: 'Default', tofu: true },
    ]);
    await cli(
      '--db',
      db,
      'policies',
      'add',
      '--name',
      'Measure /usr/bin/tool',
      '--type',
      'file-meas',
      '--file',
      '/usr/bin/tool',
      '--rec-fail',
      'isolate',
      '--rec-noresult',
      'no-access',
    );
    await cli(
      '--db',
      db,
      'enforcements',
      'add',
      '--policy',
      'Measure /usr/bin/tool',
      '--group',
      'Linux',
      '--max-age',
      '3600',
    );
    const pol = (await j('policies', 'list')) as Record<string, unknown>[];
    assert.deepEqual(pol[0], {
      id: 1,
      name: 'Measure /usr/bin/tool',
      type: 'file-meas',
      argument: '',
      target: '/usr/bin/tool',
      fail: 'isolate',
      noresult: 'no access',
    });
    assert.equal(((await j('enforcements', 'list')) as Record<string, unknown>[])[0]!.maxAge, 3600);

    // Reference hashes by measuring a staging tree re-rooted at /.
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'usr/bin'), { recursive: true });
    writeFileSync(join(stage, 'usr/bin/tool'), 'tool body\n');
    writeFileSync(join(stage, 'usr/bin/other'), 'other body\n');
    const r = (await j('hashes', 'import', '--product', 'Debian 12 x86_64', '--measure', stage, '--root', stage)) as {
      imported: number;
    };
    assert.equal(r.imported, 2);
    const found = (await j('hashes', 'lookup', '--product', 'Debian 12 x86_64', '/usr/bin/tool')) as Record<
      string,
      unknown
    >[];
    assert.equal(found[0]!.digest, createHash('sha256').update('tool body\n').digest('hex'));
    // Several trees after one --measure, as `--measure <golden>/usr <golden>/etc` reads.
    mkdirSync(join(stage, 'etc'), { recursive: true });
    writeFileSync(join(stage, 'etc/fstab'), 'fstab\n');
    const two = (await j(
      'hashes',
      'import',
      '--product',
      'Two trees',
      '--measure',
      join(stage, 'usr'),
      join(stage, 'etc'),
      '--root',
      stage,
    )) as {
      imported: number;
    };
    assert.equal(two.imported, 3);
    assert.equal(((await j('hashes', 'lookup', '--product', 'Two trees', '/etc/fstab')) as unknown[]).length, 1);

    // And from a manifest, under a version label.
    const manifest = join(dir, 'm.sha256');
    writeFileSync(manifest, `# algorithm sha256\n${'ab'.repeat(32)}  /usr/bin/tool\n`);
    await cli(
      '--db',
      db,
      'hashes',
      'import',
      '--product',
      'Debian 12 x86_64',
      '--manifest',
      manifest,
      '--version',
      '2',
    );
    assert.equal(
      ((await j('hashes', 'lookup', '--product', 'Debian 12 x86_64', '/usr/bin/tool')) as unknown[]).length,
      2,
    );
    assert.equal((await cli('--db', db, 'hashes', 'lookup', '--product', 'Debian 12 x86_64', '/nope')).code, 1);

    const status = join(dir, 'status');
    writeFileSync(
      status,
      'Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n',
    );
    assert.deepEqual(
      await j('packages', 'import', '--product', 'Debian 12 x86_64', '--dpkg-status', status, '--security'),
      { imported: 1 },
    );
    await cli('--db', db, 'packages', 'blacklist', 'telnetd');
    const shown = (await j('packages', 'show', '--product', 'Debian 12 x86_64', 'openssl', 'telnetd')) as Record<
      string,
      unknown
    >[];
    assert.deepEqual(shown, [
      { name: 'openssl', release: '3.0.11-1', security: true, blacklist: false },
      { name: 'telnetd', blacklist: true },
    ]);

    const store = await openStore(db);
    await store.addDevice({ value: 'aabbcc' });
    await store.close();
    assert.equal(((await j('devices', 'list')) as Record<string, unknown>[])[0]!.trusted, false);
    await cli('--db', db, 'devices', 'trust', 'aabbcc');
    assert.equal(((await j('devices', 'list')) as Record<string, unknown>[])[0]!.trusted, true);
    assert.deepEqual(await j('sessions', 'list'), []);
    assert.deepEqual(await j('results', 'list'), []);

    // Enrolment of a device by its AIK key id, and a stored assessment shown with its reasons.
    const aik = '12'.repeat(20);
    assert.deepEqual(await j('devices', 'add', aik, '--product', 'Debian 12 x86_64', '--trusted'), {
      id: 2,
      trusted: true,
    });
    await assert.rejects(cli('--db', db, 'devices', 'add', 'xyz'), /not an AIK key id/);
    const s2 = await openStore(db);
    assert.equal(await s2.isDeviceTrusted(aik), true);
    const session = await recordAssessment(s2, {
      identity: 'gw.example',
      verdicts: [
        {
          imv: 'attest',
          verdict: { recommendation: 1, evaluation: 2, reasons: ['file /usr/bin/tool: differs'], device: aik },
        },
      ],
      recommendation: 1,
    });
    await s2.close();
    const shownSession = (await j('sessions', 'show', String(session))) as Record<string, unknown>;
    assert.equal(shownSession.device, aik);
    assert.equal(shownSession.recommendation, 'no access');
    assert.deepEqual(shownSession.verdicts, [
      { imv: 'attest', recommendation: 'no access', reasons: ['file /usr/bin/tool: differs'] },
    ]);
    assert.match(
      (await cli('--db', db, 'sessions', 'show', String(session))).out,
      /reason: file \/usr\/bin\/tool: differs/,
    );
    assert.equal(((await j('sessions', 'list')) as Record<string, unknown>[])[0]!.identity, 'gw.example');

    const ssdb = join(dir, 'config.db');
    buildStrongswanDb(ssdb);
    const counts = (await j('import-strongswan', ssdb)) as Record<string, number>;
    assert.equal(counts.file_hashes, 3);
    assert.ok(
      ((await j('devices', 'list')) as Record<string, unknown>[]).some(
        (d) => d.aik === SAMPLE.aik && d.trusted === true,
      ),
    );
    assert.match((await cli('--db', db, 'status')).out, new RegExp(`sqlite, schema version ${LATEST_VERSION}`));

    await assert.rejects(cli('--db', db, 'policies', 'add', '--name', 'x', '--type', 'bogus'), /unknown policy type/);
    await assert.rejects(cli('--db', db, 'frobnicate'), /unknown subcommand/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
