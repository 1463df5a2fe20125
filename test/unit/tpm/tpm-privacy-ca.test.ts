// The privacy-CA role: challenge (MakeCredential for EK + AIK name) and AIK certificate issuance, in software.
// The device half (ActivateCredential on a TPM) is in swtpm.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { seededRng, toHex, VerifyError } from '../../../src/common/index.ts';
import { x509 } from '../../../src/common/x509.ts';
import {
  TCG_KP_AIK_CERTIFICATE,
  checkAikPublic,
  issueAikCertificate,
  issueChallenge,
} from '../../../src/tpm/privacy-ca.ts';
import { ekTemplateRsa2048, aikTemplateEccP256 } from '../../../src/tpm/templates.ts';
import { keyId, spkiDer } from '../../../src/tpm/keys.ts';
import { TPMA_OBJECT } from '../../../src/tpm/types/public.ts';
import type { TPMT_PUBLIC } from '../../../src/tpm/types/public.ts';
import { generateKeyPairSync } from 'node:crypto';

function eccAik(): TPMT_PUBLIC {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  const t = aikTemplateEccP256();
  t.unique = {
    x: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
    y: new Uint8Array(Buffer.from(jwk.y!, 'base64url')),
  };
  return t;
}
function rsaEk(): TPMT_PUBLIC {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const t = ekTemplateRsa2048();
  t.unique = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url'));
  return t;
}

test('the CA refuses AIKs that are not restricted signing keys', () => {
  const a = eccAik();
  a.objectAttributes = TPMA_OBJECT.of('fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'sign');
  assert.throws(
    () => checkAikPublic(a),
    (e: unknown) => e instanceof VerifyError && /restricted/.test(e.message),
  );
  assert.throws(() => issueChallenge(rsaEk(), a), VerifyError);
});

test('a correct answer yields an X.509 AIK certificate for the AIK key; a wrong one is refused', async () => {
  const aik = eccAik();
  const { state, challenge } = issueChallenge(rsaEk(), aik, seededRng('ca'));
  assert.ok(challenge.credentialBlob.byteLength > 34 && challenge.secret.byteLength === 256);
  const ca = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const wrong = state.secret.slice();
  wrong[0]! ^= 1;
  await assert.rejects(
    issueAikCertificate({ state, response: wrong, ca: { key: ca.privateKey }, subject: 'CN=dev' }),
    /does not match/,
  );
  const { der, keyId: id } = await issueAikCertificate({
    state,
    response: state.secret,
    ca: { key: ca.privateKey, name: 'CN=Test CA' },
    subject: 'CN=device-1',
  });
  const cert = new x509.X509Certificate(der);
  assert.equal(cert.subject, 'CN=device-1');
  assert.equal(cert.issuer, 'CN=Test CA');
  assert.equal(toHex(new Uint8Array(cert.publicKey.rawData)), toHex(spkiDer(aik)));
  assert.equal(toHex(id), toHex(keyId(spkiDer(aik))));
  assert.ok(await cert.verify({ publicKey: ca.publicKey }));
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  assert.deepEqual([...(eku?.usages ?? [])], [TCG_KP_AIK_CERTIFICATE]);
});
