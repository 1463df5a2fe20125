// `attestd measure` end to end (bin/attestd): the manifest on stdout is what `sha256sum -c` accepts, a second pass
// with --cache hashes nothing, and an unreadable entry makes the exit status 1 with the path on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../../../src/measure/manifest.ts';
import { hasCommand } from '../../support/env.ts';

const bin = new URL('../../../bin/attestd', import.meta.url).pathname;

function attestd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('attestd measure: manifest, cache, errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-measure-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 5; i++) writeFileSync(join(tree, i % 2 ? 'a' : join('a', 'b'), `f${i}`), `content ${i}\n`);
  symlinkSync('f0', join(tree, 'a', 'b', 'link'));

  const out = await attestd('measure', tree);
  assert.equal(out.code, 0, out.stderr);
  const m = parseManifest(out.stdout);
  assert.equal(m.files.size, 5);
  if (hasCommand('sha256sum')) {
    writeFileSync(join(dir, 'stdout.sha256'), out.stdout.replace(/^#.*\n/, ''));
    const c = spawnSync('sha256sum', ['-c', '--quiet', join(dir, 'stdout.sha256')], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stdout + c.stderr);
  }

  const args = ['measure', tree, '--manifest', join(dir, 'm.json'), '--cache', join(dir, 'cache'), '--json'];
  const first = JSON.parse((await attestd(...args)).stdout) as {
    files: number;
    hashedFiles: number;
    cacheHits: number;
  };
  await new Promise((r) => setTimeout(r, 30)); // past the racy-timestamp window of freshly written files
  const second = JSON.parse((await attestd(...args)).stdout) as typeof first;
  assert.equal(first.files, 5);
  assert.equal(second.cacheHits + second.hashedFiles, 5);
  assert.ok(second.cacheHits > 0, 'the second pass uses the cache');
  const json = parseManifest(readFileSync(join(dir, 'm.json'), 'utf8'));
  assert.deepEqual([...json.files], [...m.files]);
  assert.equal(json.symlinks.get(join(tree, 'a', 'b', 'link')), 'f0');

  const missing = await attestd('measure', join(dir, 'nope'), tree);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope: ENOENT/);
  assert.equal(parseManifest(missing.stdout).files.size, 5);
});
