// The swtpm transport over UNIX sockets (swtpm `--server type=unixio` / `--ctrl type=unixio`): TCTI strings
// (`swtpm:path=S[,ctrl=C]`, control socket S.ctrl by default), commands and the control channel against a real
// swtpm, one simulator shared by reconnecting clients, a missing socket, and a client in another network namespace
// (sockets are files, so they cross namespaces; that is how the demo's daemons reach their TPMs).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, ProtocolError, toHex } from '../../../src/common/index.ts';
import { SwtpmTransport, defaultCtrlPath } from '../../../src/tpm/transport/swtpm.ts';
import { openTransport } from '../../../src/tpm/transport/open.ts';
import { Tpm } from '../../../src/tpm/client.ts';
import { TpmError } from '../../../src/tpm/rc.ts';
import { TPM_ALG } from '../../../src/tpm/types/constants.ts';
import { requires } from '../../support/env.ts';
import { startSwtpm } from '../../support/swtpm.ts';
import type { UnixSwtpm } from '../../support/swtpm.ts';

const SWTPM = { commands: ['swtpm', 'swtpm_setup'] };

async function unixSwtpm(t: TestContext, startupClear = true): Promise<UnixSwtpm | undefined> {
  if (!requires(t, SWTPM)) return undefined;
  const sw = await startSwtpm({ unix: true, startupClear });
  t.after(() => sw.stop());
  return sw;
}

test('TCTI swtpm:path=S: UNIX data socket S, control socket S.ctrl unless ctrl=C', () => {
  const t = SwtpmTransport.fromTcti('swtpm:path=/run/dev-a/tpm.sock');
  assert.equal(t.path, '/run/dev-a/tpm.sock');
  assert.equal(t.ctrlPath, '/run/dev-a/tpm.sock.ctrl');
  assert.equal(t.ctrlPath, defaultCtrlPath('/run/dev-a/tpm.sock'));
  assert.equal(t.port, undefined);
  assert.equal(t.host, undefined);
  const c = SwtpmTransport.fromTcti('path=/run/x.sock,ctrl=/run/x-control.sock');
  assert.equal(c.path, '/run/x.sock');
  assert.equal(c.ctrlPath, '/run/x-control.sock');
  const o = openTransport({ tcti: 'swtpm:path=/run/y=1.sock' });
  assert.ok(o instanceof SwtpmTransport);
  assert.equal(o.path, '/run/y=1.sock', 'a value may contain "="');
  // TCP strings are unchanged.
  const tcp = openTransport({ tcti: 'swtpm:host=10.0.0.1,port=2421' });
  assert.ok(tcp instanceof SwtpmTransport);
  assert.equal(tcp.host, '10.0.0.1');
  assert.equal(tcp.ctrlPort, 2422);
  assert.equal(tcp.path, undefined);
});

test('TCTI and options: mixed, unknown or incomplete settings are configuration errors', () => {
  const bad = [
    'swtpm:path=/a.sock,port=2321',
    'swtpm:path=/a.sock,host=127.0.0.1',
    'swtpm:ctrl=/a.ctrl',
    'swtpm:path=',
    'swtpm:path=/a.sock,socket=/b',
    'swtpm:path=/a.sock,path=/b.sock',
    'swtpm:port=99999',
    'swtpm:port=12ab',
  ];
  for (const tcti of bad) assert.throws(() => openTransport({ tcti }), ConfigError, tcti);
  assert.throws(() => new SwtpmTransport({ path: '/a.sock', port: 2321 }), ConfigError);
  assert.throws(() => new SwtpmTransport({ ctrlPath: '/a.ctrl' }), ConfigError);
  assert.throws(() => new SwtpmTransport({ port: 2321, ctrlPath: '/a.ctrl' }), ConfigError);
  assert.throws(() => new SwtpmTransport({ path: 'a\0b' }), ConfigError);
});

test('a missing socket fails fast with the path named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-unix-'));
  try {
    const tr = new SwtpmTransport({ path: join(dir, 'absent.sock'), timeoutMs: 5000 });
    const started = Date.now();
    await assert.rejects(
      new Tpm(tr).getRandom(8),
      (e: unknown) => e instanceof ProtocolError && e.message.includes(join(dir, 'absent.sock')),
    );
    await assert.rejects(tr.init(), ProtocolError);
    assert.ok(Date.now() - started < 4000, 'no waiting for the timeout');
    await tr.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('swtpm on UNIX sockets: commands, concurrency, PCRs and the control channel', async (t) => {
  const sw = await unixSwtpm(t, false);
  if (!sw) return;
  assert.equal(sw.tcti, `swtpm:path=${sw.path}`);
  assert.equal(sw.ctrlPath, `${sw.path}.ctrl`);
  const tr = openTransport({ tcti: sw.tcti });
  assert.ok(tr instanceof SwtpmTransport);
  t.after(() => tr.close());
  const tpm = new Tpm(tr);
  // Not started (startupClear false): the TPM answers with TPM_RC_INITIALIZE until TPM2_Startup.
  await assert.rejects(tpm.getRandom(8), (e: unknown) => e instanceof TpmError && e.rcName === 'TPM_RC_INITIALIZE');
  await tpm.startup('clear');
  const r = await Promise.all(Array.from({ length: 6 }, () => tpm.getRandom(32)));
  assert.equal(new Set(r.map(toHex)).size, 6, 'concurrent commands each get their own answer');
  const digest = new Uint8Array(createHash('sha256').update('firmware').digest());
  await tpm.pcrExtend(10, [{ hashAlg: TPM_ALG.SHA256, digest }]);
  const want = createHash('sha256').update(new Uint8Array(32)).update(digest).digest('hex');
  const got = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [10] }])).banks.get(TPM_ALG.SHA256)?.get(10);
  assert.equal(got && toHex(got), want);
  // CMD_INIT over the control socket power-cycles the TPM: PCR 10 is reset after the next startup.
  await tr.init();
  await assert.rejects(tpm.getRandom(8), /TPM_RC_INITIALIZE/);
  await tpm.startup('clear');
  const reset = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [10] }])).banks.get(TPM_ALG.SHA256)?.get(10);
  assert.equal(reset && toHex(reset), '00'.repeat(32));
});

test('swtpm on UNIX sockets: clients without keep-alive share one simulator', async (t) => {
  const sw = await unixSwtpm(t);
  if (!sw) return;
  const a = new Tpm(openTransport({ tcti: sw.tcti }, { keepAlive: false }));
  const b = new Tpm(new SwtpmTransport({ path: sw.path, ctrlPath: sw.ctrlPath, keepAlive: false }));
  t.after(async () => {
    await a.transport.close();
    await b.transport.close();
  });
  const d = new Uint8Array(32).fill(7);
  for (let i = 0; i < 3; i++) {
    await a.pcrExtend(16, [{ hashAlg: TPM_ALG.SHA256, digest: d }]);
    assert.equal((await b.getRandom(16)).byteLength, 16);
  }
  const va = (await a.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [16] }])).banks.get(TPM_ALG.SHA256)?.get(16);
  const vb = (await b.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [16] }])).banks.get(TPM_ALG.SHA256)?.get(16);
  assert.ok(va && vb);
  assert.equal(toHex(va), toHex(vb), 'both clients see the same TPM');
  assert.notEqual(toHex(va), '00'.repeat(32));
});

test('swtpm on UNIX sockets: reachable from another network namespace', async (t) => {
  if (!requires(t, { root: true, commands: ['swtpm', 'swtpm_setup', 'unshare'] })) return;
  const sw = await unixSwtpm(t);
  if (!sw) return;
  const repo = resolve(import.meta.dirname, '../../..');
  const script = [
    `import { openTransport } from ${JSON.stringify(join(repo, 'src/tpm/transport/open.ts'))};`,
    `import { Tpm } from ${JSON.stringify(join(repo, 'src/tpm/client.ts'))};`,
    `import { networkInterfaces } from 'node:os';`,
    `const tpm = new Tpm(openTransport({ tcti: process.argv[1] }, { keepAlive: false }));`,
    `const r = await tpm.getRandom(16);`,
    `console.log(JSON.stringify({ ifaces: Object.keys(networkInterfaces()), n: r.byteLength }));`,
  ].join('\n');
  const node = join(repo, 'node_modules/.bin/node');
  // A fresh network namespace has only a down loopback: no TCP path to a simulator, but the socket file works.
  const r = spawnSync('unshare', ['--net', node, '--input-type=module', '-e', script, sw.tcti], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { ifaces: string[]; n: number };
  assert.equal(out.n, 16);
  assert.deepEqual(out.ifaces, [], 'no usable network interface in the namespace');
});
