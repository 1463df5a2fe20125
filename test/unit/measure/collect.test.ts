/** Collection of the kernel logs from securityfs paths (here: files written by the builders). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { LimitError } from '../../../src/common/index.ts';
import { collectEventLog, collectIma, eventLogPath, imaListPath, readBounded } from '../../../src/measure/collect.ts';
import { buildImaBinary } from '../../../src/measure/ima-builder.ts';
import { buildEventLogBytes, separator } from '../../../src/measure/eventlog-builder.ts';
import { checkTemplateHashes } from '../../../src/measure/ima.ts';

test('collectIma and collectEventLog read securityfs-style paths; reads are bounded', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'attestd-securityfs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'ima'));
  mkdirSync(join(root, 'tpm0'));
  const ms = Array.from({ length: 50 }, (_, i) => ({
    path: `/bin/p${i}`,
    digest: createHash('sha256').update(`${i}`).digest(),
  }));
  writeFileSync(imaListPath('sha1', root), buildImaBinary(ms));
  writeFileSync(imaListPath('sha256', root), buildImaBinary(ms, { templateHashAlg: 'sha256' }));
  writeFileSync(eventLogPath(root), buildEventLogBytes([separator(0)], { locality: 3 }));
  assert.equal(imaListPath('sha256', root), join(root, 'ima/binary_runtime_measurements_sha256'));

  const sha1 = await collectIma({ path: imaListPath('sha1', root) });
  assert.equal(sha1.length, 50);
  assert.deepEqual(checkTemplateHashes(sha1, 'sha1'), []);
  const sha256 = await collectIma({ path: imaListPath('sha256', root), templateHashAlg: 'sha256' });
  assert.deepEqual(checkTemplateHashes(sha256, 'sha256'), []);
  const log = await collectEventLog({ path: eventLogPath(root) });
  assert.equal(log.events.length, 2);

  await assert.rejects(collectIma({ path: imaListPath('sha1', root), maxBytes: 100 }), LimitError);
  await assert.rejects(collectIma({ path: imaListPath('sha1', root), maxEntries: 10 }), LimitError);
  const big = join(root, 'big');
  writeFileSync(big, new Uint8Array(600 * 1024));
  assert.equal((await readBounded(big, 600 * 1024)).byteLength, 600 * 1024);
  await assert.rejects(readBounded(big, 600 * 1024 - 1), LimitError);
});
