/**
 * PEM or DER credential files (RFC 7468 §2 textual encoding): the first block, by label; public keys from either form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { findPem, parsePublicKey } from '../../../src/crypto/pem.ts';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));

test('findPem: the first block, or the first with the label; none in DER or a broken block', () => {
  const text = `explanatory text\n${pem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`;
  assert.deepEqual(findPem(text), { label: 'PUBLIC KEY', text: pem.trimEnd() });
  const cert = findPem(new TextEncoder().encode(text), 'CERTIFICATE');
  assert.equal(cert?.label, 'CERTIFICATE');
  assert.ok(cert?.text.startsWith('-----BEGIN CERTIFICATE-----') && cert.text.endsWith('-----END CERTIFICATE-----'));
  assert.equal(findPem(text, 'PRIVATE KEY'), undefined);
  assert.equal(findPem(der), undefined);
  assert.equal(findPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----\n'), undefined);
});

test('parsePublicKey: PEM and DER SubjectPublicKeyInfo give the same key; junk throws', () => {
  assert.ok(parsePublicKey(new TextEncoder().encode(pem)).equals(publicKey));
  assert.ok(parsePublicKey(der).equals(publicKey));
  assert.throws(() => parsePublicKey(new Uint8Array([1, 2, 3])));
});
