/**
 * Test PKI for PT-TLS sessions, made fresh in each test file: an ECDSA P-256 CA, a server certificate with a DNS
 * SAN, a client certificate, and a client certificate from an unrelated CA (must not count as authenticated).
 */
import { webcrypto } from 'node:crypto';
import { x509 } from '../../../../src/common/x509.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyAndCert {
  key: string;
  cert: string;
}

export interface TestPki {
  ca: string;
  server: KeyAndCert;
  client: KeyAndCert;
  /** A client certificate issued by a different CA. */
  stranger: KeyAndCert;
  serverName: string;
}

async function keyPem(k: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY');
}

async function makeCa(name: string): Promise<{ keys: CryptoKeyPair; cert: x509.X509Certificate }> {
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false),
    ],
  });
  return { keys, cert };
}

async function issue(
  ca: { keys: CryptoKeyPair; cert: x509.X509Certificate },
  subject: string,
  serial: string,
  usage: x509.ExtendedKeyUsage,
  dns?: string,
): Promise<KeyAndCert> {
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false),
  ];
  if (dns) extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dns }]));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: alg,
    extensions,
  });
  return { key: await keyPem(keys.privateKey), cert: cert.toString('pem') };
}

export async function makeTestPki(): Promise<TestPki> {
  const serverName = 'pt-tls.attestd.test';
  const ca = await makeCa('Attestd PT-TLS Test CA');
  const other = await makeCa('Unrelated CA');
  return {
    ca: ca.cert.toString('pem'),
    server: await issue(ca, `CN=${serverName}`, '02', x509.ExtendedKeyUsage.serverAuth, serverName),
    client: await issue(ca, 'CN=carol, O=Attestd', '03', x509.ExtendedKeyUsage.clientAuth),
    stranger: await issue(other, 'CN=mallory', '04', x509.ExtendedKeyUsage.clientAuth),
    serverName,
  };
}

/** Server options for a PT-TLS/TLS test server on an ephemeral loopback port with the test PKI's server identity. */
export const loopbackServer = (pki: TestPki) => ({
  host: '127.0.0.1',
  port: 0,
  key: pki.server.key,
  cert: pki.server.cert,
  ca: pki.ca,
});
