// `attestd tpm …` end to end: the real CLI (bin/attestd) against a freshly manufactured swtpm, each subcommand once,
// and verify-quote against good and tampered inputs (exit status 1 naming the failed check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { requires } from '../../support/env.ts';
import { startSwtpm } from '../../support/swtpm.ts';
import { openTransport, parsePcrList, renderText } from '../../../src/cli/commands/tpm.ts';
import { DeviceTransport, SwtpmTransport } from '../../../src/tpm/transport/index.ts';

const bin = new URL('../../../bin/attestd', import.meta.url).pathname;

function attestd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('option parsing: PCR lists, transports, text rendering', () => {
  assert.deepEqual(parsePcrList('10,0-2, 7'), [0, 1, 2, 7, 10]);
  assert.throws(() => parsePcrList('24'), /0-23/);
  assert.throws(() => parsePcrList('a'), /bad PCR list/);
  const sw = openTransport({ tcti: 'swtpm:host=127.0.0.2,port=4321' });
  assert.ok(sw instanceof SwtpmTransport);
  assert.equal(sw.host, '127.0.0.2');
  assert.equal(sw.port, 4321);
  assert.equal(sw.ctrlPort, 4322);
  const dev = openTransport({ tcti: 'device:/dev/tpm0' });
  assert.ok(dev instanceof DeviceTransport && dev.path === '/dev/tpm0');
  assert.equal((openTransport({}) as DeviceTransport).path, '/dev/tpmrm0');
  assert.throws(() => openTransport({ tcti: 'mssim:port=1' }), /unsupported TCTI/);
  assert.throws(() => openTransport({ tcti: 'swtpm:port=1', device: '/dev/tpm0' }), /not both/);
  assert.equal(renderText({ a: 1, b: { c: [1, 2] } }), 'a: 1\nb:\n  c: 1 2');
});

test('attestd tpm info|pcrs|ek|create-aik|quote|verify-quote against swtpm', async (t) => {
  if (!requires(t, { commands: ['swtpm', 'swtpm_setup'] })) return;
  const sw = await startSwtpm();
  const dir = mkdtempSync(join(tmpdir(), 'attestd-tpm-cli-'));
  t.after(async () => {
    await sw.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const f = (n: string) => join(dir, n);
  const tcti = ['--tcti', sw.tcti];

  const info = await attestd('tpm', 'info', ...tcti, '--json');
  assert.equal(info.code, 0, info.stderr);
  const i = JSON.parse(info.stdout) as { family: string; pcrBanks: { bank: string; pcrs: number[] }[] };
  assert.equal(i.family, '2.0');
  assert.deepEqual(i.pcrBanks.map((b) => b.bank).sort(), ['sha1', 'sha256']);
  const text = await attestd('tpm', 'info', ...tcti);
  assert.match(text.stdout, /^manufacturer: IBM/m);

  const ek = await attestd('tpm', 'ek', ...tcti, '--type', 'rsa', '--out', f('ek.der'), '--json');
  assert.equal(ek.code, 0, ek.stderr);
  const e = JSON.parse(ek.stdout) as { spki: string; certificate: { matchesEk: boolean } };
  assert.equal(e.certificate.matchesEk, true);
  assert.equal(
    createPublicKey({ key: readFileSync(f('ek.der')), format: 'der', type: 'spki' }).asymmetricKeyType,
    'rsa',
  );

  const aik = await attestd('tpm', 'create-aik', ...tcti, '--out', f('aik.der'), '--json');
  assert.equal(aik.code, 0, aik.stderr);
  assert.equal((JSON.parse(aik.stdout) as { handle: string }).handle, '0x81010003');
  const again = await attestd('tpm', 'create-aik', ...tcti);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /0x81010003 is in use/);

  const nonce = '00112233445566778899aabbccddeeff';
  const q = await attestd('tpm', 'quote', ...tcti, '--pcrs', '0,1,10', '--nonce', nonce, '--out', f('q.json'));
  assert.equal(q.code, 0, q.stderr);
  const pcrs = await attestd('tpm', 'pcrs', ...tcti, '--bank', 'sha256', '--pcrs', '0,1,10', '--json');
  assert.equal(pcrs.code, 0, pcrs.stderr);
  const values = JSON.parse(pcrs.stdout) as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(values.sha256!), ['0', '1', '10']);
  writeFileSync(f('pcrs.json'), pcrs.stdout);

  const ok = await attestd(
    'tpm',
    'verify-quote',
    f('q.json'),
    '--aik',
    f('aik.der'),
    '--nonce',
    nonce,
    '--pcrs-file',
    f('pcrs.json'),
  );
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /quote OK/);

  // Tampered expectations: another PCR 10 value, and a wrong nonce; both checks are named.
  values.sha256!['10'] = 'ff'.repeat(32);
  writeFileSync(f('bad.json'), JSON.stringify(values));
  const bad = await attestd(
    'tpm',
    'verify-quote',
    f('q.json'),
    '--aik',
    f('aik.der'),
    '--nonce',
    '00',
    '--pcrs-file',
    f('bad.json'),
    '--json',
  );
  assert.equal(bad.code, 1);
  const v = JSON.parse(bad.stdout) as { ok: boolean; failures: { what: string }[] };
  assert.equal(v.ok, false);
  assert.deepEqual(v.failures.map((x) => x.what).sort(), ['nonce', 'pcr-digest']);
  // The EK is not the AIK: the signature check fails.
  const wrongKey = await attestd('tpm', 'verify-quote', f('q.json'), '--aik', f('ek.der'), '--nonce', nonce);
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.stdout, /FAILED signature/);
});

test('attestd tpm reports a missing device with a hint', async () => {
  const r = await attestd('tpm', 'info', '--device', '/nonexistent/tpmrm0');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ENOENT.*--tcti swtpm/);
});
