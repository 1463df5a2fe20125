/**
 * The `attestd pt-tls-server --once` and `attestd pt-tls-client` commands, run in process (their `run(argv)` is
 * what bin/attestd calls): printed verdicts and exit codes (0 allowed, 3 isolated, 4 denied, 2 usage), one-way with
 * SASL PLAIN and mutual with a client certificate over TLS 1.2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as server } from '../../../../src/cli/commands/pt-tls-server.ts';
import { command as client } from '../../../../src/cli/commands/pt-tls-client.ts';
import { makeTestPki } from '../pt-tls/certs.ts';

test('pt-tls-server/pt-tls-client: verdicts, reasons and exit codes', async (t) => {
  const printed: string[] = [];
  t.mock.method(console, 'log', (s: unknown) => void printed.push(String(s)));
  t.mock.method(console, 'error', (s: unknown) => void printed.push(String(s)));
  const port = async () => {
    for (let i = 0; i < 200; i++) {
      const m = printed.map((l) => /listening on \[[^\]]*\]:(\d+)/.exec(l)).find((x) => x);
      if (m) {
        printed.length = 0;
        return m[1]!;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('server did not start');
  };
  const pki = await makeTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'attestd-cli-pttls-'));
  const f = (n: string, s: string) => {
    writeFileSync(join(dir, n), s);
    return join(dir, n);
  };
  try {
    const ca = f('ca.pem', pki.ca);
    const srv = ['--cert', f('srv.pem', pki.server.cert), '--key', f('srv.key', pki.server.key), '--host', '127.0.0.1'];
    const imvConfig = f('imv.json', JSON.stringify({ test: { rounds: 1 } }));
    const to = ['--host', '127.0.0.1', '--servername', pki.serverName, '--ca', ca];

    // one-way, SASL PLAIN, isolate
    const s1 = server.run([
      ...srv,
      '--port',
      '0',
      '--sasl',
      'carol:pw',
      '--imv',
      'test',
      '--imv-config',
      imvConfig,
      '--once',
    ]);
    const c1 = await client.run([...to, '--port', await port(), '--sasl', 'carol:pw', '--command', 'isolate']);
    assert.equal(c1, 3);
    assert.equal(await s1, 3);
    const out1 = printed.join('\n');
    assert.match(out1, /verdict on us: QUARANTINED\n {2}reason: Test IMV: the IMC's command is 'isolate'/);
    assert.match(out1, /\(carol\): complete/);
    printed.length = 0;

    // mutual, client certificate: the server blocks the client, the client allows the server
    const s2 = server.run([...srv, '--ca', ca, '--port', '0', '--imv', 'test', '--imc', 'test', '--once']);
    const cert = ['--cert', f('cli.pem', pki.client.cert), '--key', f('cli.key', pki.client.key)];
    const c2 = await client.run([
      ...to,
      '--port',
      await port(),
      ...cert,
      '--command',
      'block',
      '--mutual',
      '--tls',
      '1.2',
    ]);
    assert.equal(c2, 4);
    assert.equal(await s2, 4);
    const out2 = printed.join('\n');
    assert.match(out2, /over TLSv1\.2/);
    assert.match(out2, /our verdict on the server: ACCESS_ALLOWED/);
    assert.match(out2, /the client's verdict on us: ACCESS_ALLOWED/);

    assert.equal(await client.run(['--host', '127.0.0.1']), 2);
    assert.equal(await server.run(['--cert', 'x', '--key', 'y', '--policy', 'majority']), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
