/**
 * The PKI helper: RFC 5280 certificate profiles (basicConstraints, keyUsage, extKeyUsage, subjectAltName, key
 * identifiers), signature algorithms per key type, and interop with strongSwan's `pki --print` and `openssl verify`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError } from '../../../../src/common/errors.ts';
import { x509 } from '../../../../src/common/x509.ts';
import { certChain, createCa, issueCert, parseSubject, writeSwanctlDir } from '../../../../src/daemon/pki/index.ts';
import type { Issued, KeyType } from '../../../../src/daemon/pki/index.ts';
import { requires } from '../../../support/env.ts';

const tmp = (t: { after: (fn: () => void) => void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Signature algorithm OIDs (RFC 4055 §5, RFC 5758 §3.2, RFC 8410 §3). */
const SIG_OID: Record<KeyType, string> = {
  'rsa-2048': '1.2.840.113549.1.1.11',
  'rsa-3072': '1.2.840.113549.1.1.11',
  'rsa-4096': '1.2.840.113549.1.1.11',
  'ecdsa-p256': '1.2.840.10045.4.3.2',
  'ecdsa-p384': '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
};
const NODE_KEY_TYPE: Record<KeyType, string> = {
  'rsa-2048': 'rsa',
  'rsa-3072': 'rsa',
  'rsa-4096': 'rsa',
  'ecdsa-p256': 'ec',
  'ecdsa-p384': 'ec',
  ed25519: 'ed25519',
};

/** The signatureAlgorithm OID, read from the DER with a minimal walk: Certificate ::= SEQUENCE { tbs, sigAlg, sig }. */
function sigOid(c: x509.X509Certificate): string {
  const der = new Uint8Array(c.rawData);
  let p = 0;
  const header = () => {
    p++; // tag
    let len = der[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[p++]!;
    }
    return len;
  };
  header(); // Certificate
  const tbs = header(); // tbsCertificate
  p += tbs;
  header(); // AlgorithmIdentifier
  const oidLen = header(); // OBJECT IDENTIFIER
  const bytes = der.subarray(p, p + oidLen);
  const arcs = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

test('parseSubject: strongSwan and OpenSSL forms, escapes, and errors', () => {
  assert.deepEqual(parseSubject('C=CH, O=strongSwan Project, CN=moon.strongswan.org'), [
    ['C', 'CH'],
    ['O', 'strongSwan Project'],
    ['CN', 'moon.strongswan.org'],
  ]);
  assert.deepEqual(parseSubject('/C=CH/O=attestd/CN=a\\/b'), [
    ['C', 'CH'],
    ['O', 'attestd'],
    ['CN', 'a/b'],
  ]);
  assert.deepEqual(parseSubject('cn=x\\, y; emailAddress=a@b'), [
    ['CN', 'x, y'],
    ['E', 'a@b'],
  ]);
  for (const bad of ['', 'CN', 'XX=1', 'CN=', 'CN=a,,O=b']) assert.throws(() => parseSubject(bad), ConfigError, bad);
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.constantFrom('C', 'O', 'OU', 'CN', 'L', 'ST', 'DC'),
          fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .@,/-]{0,15}[A-Za-z0-9]$/),
        ),
        { minLength: 1, maxLength: 5 },
      ),
      (rdns) => {
        const text = rdns.map(([k, v]) => `${k}=${v.replace(/[,\\]/g, (c) => '\\' + c)}`).join(', ');
        assert.deepEqual(parseSubject(text), rdns);
      },
    ),
  );
});

for (const keyType of ['rsa-2048', 'ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const) {
  test(`${keyType}: CA and end-entity profiles, signature algorithm, key pairing`, async () => {
    const ca = await createCa({ subject: 'C=CH, O=attestd, CN=Root CA', keyType, days: 30 });
    const host = await issueCert({
      ca,
      subject: 'C=CH, O=attestd, CN=moon.example',
      keyType,
      san: ['moon.example', '10.1.0.1', 'fec0::1', 'user@x.example', 'uri:https://a.example/'],
      serverAuth: true,
      clientAuth: true,
      days: 10,
    });
    for (const c of [ca, host]) {
      assert.equal(sigOid(c.cert), SIG_OID[keyType]);
      assert.equal(c.privateKey.asymmetricKeyType, NODE_KEY_TYPE[keyType]);
      assert.ok(
        createPublicKey(c.privateKey).equals(
          createPublicKey({ key: Buffer.from(c.cert.publicKey.rawData), format: 'der', type: 'spki' }),
        ),
      );
      assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(c.certPem, /^-----BEGIN CERTIFICATE-----\n/);
      assert.deepEqual(new Uint8Array(new x509.X509Certificate(c.certPem).rawData), c.certDer);
    }
    assert.equal(ca.cert.subject, 'C=CH, O=attestd, CN=Root CA');
    assert.equal(ca.cert.issuer, ca.cert.subject);
    assert.ok(await ca.cert.isSelfSigned());
    assert.equal(host.cert.issuer, ca.cert.subject);
    assert.ok(await host.cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }));
    assert.equal(await host.cert.verify({ publicKey: host.cert.publicKey, signatureOnly: true }), false);

    const bc = ca.cert.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([bc.ca, bc.critical], [true, true]);
    assert.equal(
      ca.cert.getExtension(x509.KeyUsagesExtension)!.usages,
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    assert.equal(host.cert.getExtension(x509.BasicConstraintsExtension)!.ca, false);
    const ku = host.cert.getExtension(x509.KeyUsagesExtension)!.usages;
    assert.ok(ku & x509.KeyUsageFlags.digitalSignature);
    assert.equal(Boolean(ku & x509.KeyUsageFlags.keyEncipherment), keyType.startsWith('rsa'));
    assert.deepEqual(
      [...host.cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages],
      [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    );
    const san = host.cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
    assert.deepEqual(san, [
      { type: 'dns', value: 'moon.example' },
      { type: 'ip', value: '10.1.0.1' },
      { type: 'ip', value: 'fec0::1' },
      { type: 'email', value: 'user@x.example' },
      { type: 'url', value: 'https://a.example/' },
    ]);
    const aki = host.cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId;
    assert.equal(aki, ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    const days = (host.cert.notAfter.getTime() - host.cert.notBefore.getTime()) / 86400_000;
    assert.equal(days, 10);
    assert.notEqual(host.cert.serialNumber, ca.cert.serialNumber);
  });
}

test('bad inputs are ConfigErrors', async () => {
  const ca = await createCa({ subject: 'CN=CA' });
  await assert.rejects(issueCert({ ca, subject: 'CN=x', san: ['not a name!'] }), ConfigError);
  await assert.rejects(issueCert({ ca, subject: 'CN=x', san: ['ip:moon'] }), ConfigError);
  await assert.rejects(createCa({ subject: 'CN=x', keyType: 'dsa-1024' as KeyType }), ConfigError);
  await assert.rejects(createCa({ subject: 'FOO=x' }), ConfigError);
});

test('writeSwanctlDir lays out x509ca/, x509/, private/ (key mode 0600) and strongSwan pki and openssl accept every file', async (t) => {
  const dir = tmp(t);
  const ca = await createCa({ subject: 'C=CH, O=attestd, CN=Root CA', keyType: 'ecdsa-p384' });
  const inter = await issueCert({
    ca,
    subject: 'C=CH, O=attestd, CN=Intermediate',
    keyType: 'ecdsa-p256',
    isCa: true,
    pathLen: 0,
  });
  const hosts: Issued[] = [];
  for (const keyType of ['rsa-2048', 'ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const)
    hosts.push(
      await issueCert({
        ca: inter,
        subject: `C=CH, O=attestd, CN=${keyType}.example`,
        san: [`${keyType}.example`],
        keyType,
        serverAuth: true,
      }),
    );
  const files = writeSwanctlDir(dir, { ca, host: hosts[0]!, name: 'moon', intermediates: [inter] });
  assert.deepEqual(files, {
    cacerts: ['x509ca/moon-ca.pem'],
    cert: 'x509/moon.pem',
    key: 'private/moon.pem',
    intermediates: ['x509/moon-intermediate-1.pem'],
  });
  assert.equal(statSync(join(dir, files.key)).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, files.cert), 'utf8'), hosts[0]!.certPem);

  if (!requires(t, { commands: ['pki', 'openssl'] })) return;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  for (const [i, h] of hosts.entries()) {
    const cert = join(dir, `h${i}.pem`);
    const key = join(dir, `h${i}.key`);
    writeFileSync(cert, h.certPem);
    writeFileSync(key, h.keyPem);
    const out = run('openssl', [
      'verify',
      '-CAfile',
      join(dir, files.cacerts[0]!),
      '-untrusted',
      join(dir, files.intermediates[0]!),
      cert,
    ]);
    assert.match(out, /: OK/);
    const trusted = run('pki', [
      '--verify',
      '--in',
      cert,
      '--cacert',
      join(dir, files.intermediates[0]!),
      '--cacert',
      join(dir, files.cacerts[0]!),
    ]);
    assert.match(trusted, /certificate trusted, lifetimes valid/);
    const printed = run('pki', ['--print', '--in', cert]);
    assert.match(printed, new RegExp(`subject: +"C=CH, O=attestd, CN=${h.keyType}.example"`));
    assert.match(printed, new RegExp(`altNames: +${h.keyType}.example`));
    assert.match(printed, /flags: +serverAuth/);
    const algo = {
      'rsa-2048': 'RSA 2048',
      'ecdsa-p256': 'ECDSA 256',
      'ecdsa-p384': 'ECDSA 384',
      ed25519: 'ED25519 256',
    }[h.keyType as string]!;
    assert.match(printed, new RegExp(`pubkey: +${algo} bits`));
    const priv = run('pki', ['--print', '--type', 'priv', '--in', key]);
    assert.match(priv, new RegExp(`privkey: +${algo} bits`));
    // the key id strongSwan computes for the private key is the certificate's
    const keyid = (s: string) => /keyid: +([0-9a-f:]+)/.exec(s)?.[1];
    assert.equal(keyid(priv), keyid(printed));
  }
  const caOut = run('pki', ['--print', '--in', join(dir, files.cacerts[0]!)]);
  assert.match(caOut, /flags: +CA CRLSign self-signed/);
});

test('certChain builds a verifiable chain of large RSA-4096 intermediates for fragmentation tests', async (t) => {
  const chain = await certChain(2, { san: ['moon.example'] });
  assert.equal(chain.intermediates.length, 2);
  for (const c of [chain.root, ...chain.intermediates])
    assert.ok(c.certDer.length > 1200, `${c.cert.subject}: ${c.certDer.length} bytes`);
  const total = [chain.leaf, ...chain.intermediates].reduce((n, c) => n + c.certDer.length, 0);
  assert.ok(total > 2500, `CERT payloads total ${total} bytes, above a 1280-byte IPv6 MTU`);
  let issuer = chain.root;
  for (const c of [...chain.intermediates, chain.leaf]) {
    assert.ok(await c.cert.verify({ publicKey: issuer.cert.publicKey, signatureOnly: true }));
    issuer = c;
  }
  if (!requires(t, { commands: ['openssl'] })) return;
  const dir = tmp(t);
  writeFileSync(join(dir, 'root.pem'), chain.root.certPem);
  writeFileSync(join(dir, 'inter.pem'), chain.intermediates.map((c) => c.certPem).join(''));
  writeFileSync(join(dir, 'leaf.pem'), chain.leaf.certPem);
  const r = spawnSync(
    'openssl',
    ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'inter.pem'), join(dir, 'leaf.pem')],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
});
