/**
 * swanctl itself as the oracle for reading a swanctl directory: the real `swanctl --load-conns` / `--load-creds`
 * (strongSwan 5.9.8) talks to a recording VICI socket instead of charon, and what it sends must equal what attestd
 * derives from the same files: the connection trees with list keys split (load_conns.c add_list_key), `certs` and
 * `cacerts` replaced by the certificate files' bytes (x509/, x509ca/), shared secrets with their decoded data and
 * owners, and every private key, decrypted with the configured passphrase (load_creds.c).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSection, loadSwanctl, parseCertificate, parseList } from '../../../../src/daemon/config/index.ts';
import type { Credentials, SettingsSection, SharedSecret } from '../../../../src/daemon/config/index.ts';
import { createCa, issueCert, writeSwanctlDir } from '../../../../src/daemon/pki/index.ts';
import { requires } from '../../../support/env.ts';
import { FULL } from './swanctl-examples.ts';
import { viciRecorder } from './vici-recorder.ts';
import type { ViciSection, ViciValue } from './vici-recorder.ts';

const te = new TextEncoder();

/** A second connection inheriting from the first, with list values that exercise swanctl's token splitting. */
const QUIRKS = `connections {
  quirks : connections.gw {
    remote_addrs = 'x.example,y.example',  z.example ,, w.example
    proposals = ,aes128-sha256-x25519 ,
    local-2 {
      certs = "moonCert2.pem"
    }
    children {
      net {
        local_ts = 10.0.0.0/8 , '10.1.0.0/16[tcp/http]'
      }
    }
  }
}
`;
const LIST_KEYS = [
  'local_addrs',
  'remote_addrs',
  'proposals',
  'esp_proposals',
  'ah_proposals',
  'local_ts',
  'remote_ts',
  'vips',
  'pools',
  'groups',
  'cert_policy',
];

/** What swanctl should send for a settings section, computed with attestd's parser, list splitter and file lookup. */
function expectedVici(s: SettingsSection, creds: Credentials): ViciSection {
  const out: ViciSection = [];
  for (const [k, v] of s.values) {
    if (LIST_KEYS.includes(k)) out.push([k, parseList(v).map((i) => te.encode(i))]);
    else if (k === 'certs') out.push([k, parseList(v).map((r) => new Uint8Array(creds.cert(r).rawData))]);
    else if (k === 'cacerts') out.push([k, parseList(v).map((r) => new Uint8Array(creds.cacert(r).rawData))]);
    else out.push([k, te.encode(v)]);
  }
  for (const [n, c] of s.sections) out.push([n, expectedVici(c, creds)]);
  return out;
}

/** swanctl sends certificate files as they are (PEM here); compare them as DER. */
function toDer(s: ViciSection): ViciSection {
  return s.map(([k, v]): [string, ViciValue] => {
    if ((k === 'certs' || k === 'cacerts') && Array.isArray(v))
      return [k, (v as Uint8Array[]).map((b) => new Uint8Array(parseCertificate(b, k).rawData))];
    if (Array.isArray(v) && v.length && !(v[0] instanceof Uint8Array)) return [k, toDer(v as ViciSection)];
    return [k, v];
  });
}

const asSection = (v: ViciValue | undefined): ViciSection => v as ViciSection;
const find = (s: ViciSection, key: string) => s.find(([k]) => k === key)?.[1];
const str = (v: ViciValue | undefined) => new TextDecoder().decode(v as Uint8Array);

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('swanctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

/** A private key as swanctl sends it: the file as is (PEM or DER), or the DER of a key it decrypted. */
function anyKey(der: Uint8Array): KeyObject {
  const text = new TextDecoder().decode(der);
  if (text.includes('-----BEGIN')) return createPrivateKey(text);
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: Buffer.from(der), format: 'der', type });
    } catch {
      // next
    }
  }
  throw new Error('undecodable key');
}

test('swanctl --load-conns and --load-creds send exactly what attestd reads from the same directory', async (t) => {
  if (!requires(t, { commands: ['swanctl'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'attestd-vici-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCa({ subject: 'C=CH, O=strongSwan, CN=strongSwan Root CA', keyType: 'ecdsa-p256' });
  const moon = await issueCert({ ca, subject: 'C=CH, O=strongSwan, CN=moon.strongswan.org', keyType: 'ecdsa-p384' });
  const moon2 = await issueCert({ ca, subject: 'C=CH, O=strongSwan, CN=moon2', keyType: 'rsa-2048' });
  writeSwanctlDir(dir, { ca, host: moon, name: 'moonCert', conf: FULL + QUIRKS });
  writeFileSync(join(dir, 'x509', 'moonCert2.pem'), moon2.certDer);
  writeFileSync(join(dir, 'x509ca', 'strongswanCert.pem'), ca.certPem);
  // FULL's secrets.private-moon opens private/moonKey.pem with its second passphrase
  writeFileSync(
    join(dir, 'private', 'moonKey.pem'),
    moon2.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'passphrase two' }),
  );
  mkdirSync(join(dir, 'rsa'));
  // sub-folders are not searched, by swanctl or by attestd
  mkdirSync(join(dir, 'x509', 'old'));
  writeFileSync(join(dir, 'x509', 'old', 'stale.pem'), moon2.certPem);
  writeFileSync(join(dir, 'rsa', 'plain.der'), moon2.privateKey.export({ type: 'pkcs1', format: 'der' }));

  const ours = loadSwanctl(join(dir, 'swanctl.conf'));
  const vici = await viciRecorder(join(dir, 'charon.vici'));
  t.after(() => vici.close());
  const conf = ['--file', join(dir, 'swanctl.conf'), '--uri', vici.uri];
  const conns = await run(['--load-conns', ...conf]);
  assert.equal(conns.code, 0, conns.out);
  const creds = await run(['--load-creds', '--noprompt', ...conf]);
  assert.equal(creds.code, 0, creds.out);

  // Connections: one load-conn per connection, the tree as attestd resolves it.
  const loadConn = vici.requests.filter((r) => r.command === 'load-conn');
  assert.deepEqual(
    loadConn.map((r) => r.message[0]![0]),
    ours.config.connections.map((c) => c.name),
  );
  for (const r of loadConn) {
    const [name, body] = r.message[0]!;
    assert.deepEqual(
      toDer(asSection(body)),
      expectedVici(getSection(ours.config.tree, `connections.${name}`)!, ours.credentials),
      name,
    );
  }

  // Shared secrets: type, data and owners.
  const shared = vici.requests.filter((r) => r.command === 'load-shared');
  const mine = ours.config.secrets.filter((s): s is SharedSecret => s.kind === 'shared');
  assert.deepEqual(
    shared.map((r) => ({
      name: str(find(r.message, 'id')),
      type: str(find(r.message, 'type')),
      data: find(r.message, 'data'),
      ids: (find(r.message, 'owners') as Uint8Array[]).map((o) => new TextDecoder().decode(o)),
    })),
    mine.map((s) => ({ name: s.name, type: s.type, data: s.data, ids: s.ids })),
  );

  // Private keys: the same keys, including the one decrypted with the second configured passphrase.
  const keys = vici.requests
    .filter((r) => r.command === 'load-key')
    .map((r) => anyKey(find(r.message, 'data') as Uint8Array));
  const spki = (k: KeyObject) =>
    Buffer.from(createPublicKey(k).export({ type: 'spki', format: 'der' })).toString('hex');
  assert.deepEqual(
    keys.map(spki).sort(),
    ours.credentials.privateKeys.map((k) => Buffer.from(k.publicKeyDer).toString('hex')).sort(),
  );
  assert.equal(ours.credentials.privateKeys.length, 3);

  // Certificates swanctl loads from x509/ and x509ca/ (sent as the files are) are the ones attestd loaded.
  const certs = vici.requests.filter((r) => r.command === 'load-cert');
  const flags = certs.map((r) => str(find(r.message, 'flag')));
  const datas = certs.map((r) =>
    Buffer.from(parseCertificate(find(r.message, 'data') as Uint8Array, 'load-cert').rawData).toString('hex'),
  );
  const ourCerts = [...ours.credentials.certs.values()].map((c) => Buffer.from(c.rawData).toString('hex'));
  const ourCas = [...ours.credentials.cas.values()].map((c) => Buffer.from(c.rawData).toString('hex'));
  assert.deepEqual(datas.filter((_, i) => flags[i] === 'NONE').sort(), ourCerts.sort());
  assert.deepEqual(datas.filter((_, i) => flags[i] === 'CA').sort(), ourCas.sort());
  assert.ok(asSection(loadConn[0]!.message[0]![1]).length > 10);
});
