/**
 * The attest collector's `root` option (PTS IF-M Binding §3.17, §3.19 with a device image): the verifier asks for
 * logical paths (/usr/bin/, /etc/hostname); the attester measures <root>/usr/bin/… and answers under the names
 * asked for, so a directory tree stands for a device's root file system. Links that lead out of the tree are
 * refused; without `root` the paths are the machine's own. No TPM is needed for file answers.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../../src/common/index.ts';
import type { PaAttribute } from '../../../../src/tnc/pa/index.ts';
import { PtsError } from '../../../../src/pts/constants.ts';
import { PtsAttester } from '../../../../src/pts/attester/index.ts';
import { attestImcConfig } from '../../../../src/imc/attest/index.ts';

type Any = PaAttribute & Record<string, unknown>;
type Entry = { filename: string; measurement: Uint8Array };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const meas = (path: string, directory: boolean, requestId = 1) =>
  ({ kind: 'tcg/pts-req-file-meas', noskip: false, directory, requestId, delimiter: 0x2f, path }) as PaAttribute;
const meta = (path: string, directory: boolean) =>
  ({ kind: 'tcg/pts-req-file-meta', noskip: false, directory, delimiter: 0x2f, path }) as PaAttribute;
const entries = (a: Any) => (a.files as Entry[]).map((f) => [f.filename, Buffer.from(f.measurement).toString('hex')]);

/** A device image: usr/bin/{sh,ls}, etc/hostname, bin → usr/bin (relative link inside), lib → the host's /usr/lib. */
function image(t: TestContext): { base: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), 'attestd-imc-root-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'firmware');
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'usr', 'bin', 'sh'), 'device sh');
  writeFileSync(join(root, 'usr', 'bin', 'ls'), 'device ls');
  writeFileSync(join(root, 'etc', 'hostname'), 'device-a\n');
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('/usr/lib', join(root, 'lib'));
  // A file outside the image with the same logical name, to show it is not what gets measured.
  mkdirSync(join(base, 'etc'));
  writeFileSync(join(base, 'etc', 'hostname'), 'outside\n');
  symlinkSync(join(base, 'etc'), join(root, 'etc-outside'));
  return { base, root };
}

test('root: directory and file requests measure the tree and answer with the logical names', async (t) => {
  const { root } = image(t);
  const dev = new PtsAttester({ root });
  const [dir, file, linked] = (await dev.handle([
    meas('/usr/bin/', true, 7),
    meas('/etc/hostname', false, 8),
    meas('/bin', true, 9),
  ])) as Any[];
  assert.equal(dir!.kind, 'tcg/pts-file-meas');
  assert.equal(dir!.requestId, 7);
  assert.deepEqual(entries(dir!), [
    ['ls', sha('device ls')],
    ['sh', sha('device sh')],
  ]);
  assert.deepEqual(entries(file!), [['/etc/hostname', sha('device-a\n')]]);
  assert.deepEqual(entries(linked!), entries(dir!), 'a link inside the tree is followed');
});

test('root: metadata names the logical path; a missing logical path is FILE_NOT_FOUND', async (t) => {
  const { root } = image(t);
  const dev = new PtsAttester({ root });
  const [file, dir, missing, missingDir] = (await dev.handle([
    meta('/etc/hostname', false),
    meta('/usr/bin', true),
    meas('/usr/sbin/', true),
    meta('/opt', true),
  ])) as Any[];
  const files = file!.files as { filename: string; size: bigint }[];
  assert.equal(files[0]!.filename, '/etc/hostname');
  assert.equal(files[0]!.size, 9n);
  assert.deepEqual(
    (dir!.files as { filename: string }[]).map((f) => f.filename),
    ['ls', 'sh'],
  );
  for (const a of [missing!, missingDir!]) {
    assert.equal(a.kind, 'ietf/pa-tnc-error');
    assert.equal(a.errorCode, PtsError.FILE_NOT_FOUND);
  }
  const info = new TextDecoder().decode((missing!.info as { data: Uint8Array }).data);
  assert.match(info, /^\/usr\/sbin\/ not found$/, 'the answer names the logical path, not the tree');
});

test('root: links out of the tree and ".." are refused with INVALID_PATH', async (t) => {
  const { root } = image(t);
  const dev = new PtsAttester({ root });
  const out = (await dev.handle([
    meas('/lib', true),
    meas('/etc-outside/hostname', false),
    meta('/etc-outside', true),
    meas('/usr/../../etc/hostname', false),
  ])) as Any[];
  for (const [i, a] of out.entries()) {
    assert.equal(a.kind, 'ietf/pa-tnc-error', `answer ${i}`);
    assert.equal(a.errorCode, PtsError.INVALID_PATH, `answer ${i}`);
  }
});

test('without root the paths are the machine’s own (the tree by its absolute path)', async (t) => {
  const { root } = image(t);
  const [dir] = (await new PtsAttester().handle([meas(join(root, 'usr', 'bin'), true)])) as Any[];
  assert.deepEqual(entries(dir!), [
    ['ls', sha('device ls')],
    ['sh', sha('device sh')],
  ]);
  const [asRoot] = (await new PtsAttester({ root: '/' }).handle([meas(join(root, 'etc', 'hostname'), false)])) as Any[];
  assert.deepEqual(entries(asRoot!), [[join(root, 'etc', 'hostname'), sha('device-a\n')]]);
});

test('imc attest config: root must be an absolute path; "/" is the default', () => {
  assert.equal(attestImcConfig({ root: '/srv/images/a' }).root, '/srv/images/a');
  assert.equal(attestImcConfig({ root: '/' }).root, undefined);
  assert.equal(attestImcConfig({}).root, undefined);
  assert.throws(() => attestImcConfig({ root: 'images/a' }), ConfigError);
  assert.throws(() => attestImcConfig({ root: '' }), ConfigError);
  assert.throws(() => attestImcConfig({ root: 7 }), ConfigError);
});
