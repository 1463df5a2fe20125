// Credential protection in software (TPM 2.0 Part 1 §24; KDFa/KDFe §11.4.10) and the EK policy (EK Credential
// Profile §B.3.2). The TPM's own ActivateCredential is exercised in swtpm.test.ts and the interop suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createECDH, createHash, createHmac, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { Reader, VerifyError, concat, seededRng, toHex, u32be, utf8 } from '../../../src/common/index.ts';
import { kdfa, kdfe } from '../../../src/tpm/kdf.ts';
import { makeCredential, openCredential } from '../../../src/tpm/credential.ts';
import { handleName, objectName } from '../../../src/tpm/keys.ts';
import { policySecretDigest } from '../../../src/tpm/policy.ts';
import {
  EK_AUTH_POLICY_SHA256,
  aikTemplateEccP256,
  ekTemplateEccP256,
  ekTemplateRsa2048,
} from '../../../src/tpm/templates.ts';
import { TPMS_ECC_POINT } from '../../../src/tpm/types/public.ts';
import type { TPMT_PUBLIC } from '../../../src/tpm/types/public.ts';
import { TPM_ALG, TPM_RH } from '../../../src/tpm/types/constants.ts';

test('the EK authPolicy is PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef', () => {
  assert.equal(toHex(policySecretDigest(TPM_ALG.SHA256, handleName(TPM_RH.ENDORSEMENT))), toHex(EK_AUTH_POLICY_SHA256));
});

test('KDFa is SP 800-108 counter mode: first block HMAC(key, 1 ‖ label ‖ 0 ‖ U ‖ V ‖ bits)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.integer({ min: 1, max: 80 }),
      (key, u, n) => {
        const bits = n * 8;
        const out = kdfa(TPM_ALG.SHA256, key, 'STORAGE', u, new Uint8Array(0), bits);
        const first = createHmac('sha256', key)
          .update(concat(u32be(1), utf8('STORAGE\0'), u, u32be(bits)))
          .digest();
        assert.equal(out.byteLength, n);
        assert.equal(
          toHex(out.subarray(0, Math.min(32, n))),
          toHex(new Uint8Array(first).subarray(0, Math.min(32, n))),
        );
      },
    ),
  );
  assert.throws(() => kdfa(TPM_ALG.SHA256, new Uint8Array(1), 'x', new Uint8Array(0), new Uint8Array(0), 12));
});

test('KDFe is the SP 800-56A concatenation KDF', () => {
  const z = new Uint8Array(32).fill(1);
  const out = kdfe(TPM_ALG.SHA256, z, 'IDENTITY', utf8('u'), utf8('v'), 256);
  const want = createHash('sha256')
    .update(concat(u32be(1), z, utf8('IDENTITY\0u'), utf8('v')))
    .digest();
  assert.equal(toHex(out), toHex(new Uint8Array(want)));
});

function rsaEk(): { pub: TPMT_PUBLIC; priv: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const t = ekTemplateRsa2048();
  t.unique = new Uint8Array(Buffer.from(jwk.n!, 'base64url'));
  return { pub: t, priv: privateKey };
}

const aikName = objectName(aikTemplateEccP256());

test('RSA EK: the seed is RSA-OAEP(SHA-256, "IDENTITY\\0") and the blob opens to the credential', () => {
  const { pub, priv } = rsaEk();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), (c) => {
      const credential = new Uint8Array(c);
      const made = makeCredential(pub, aikName, credential);
      const seed = privateDecrypt(
        {
          key: priv,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
          oaepLabel: Buffer.from('IDENTITY\0'),
        },
        made.secret,
      );
      assert.equal(
        toHex(openCredential(TPM_ALG.SHA256, 128, new Uint8Array(seed), aikName, made.credentialBlob)),
        toHex(credential),
      );
      const otherName = aikName.slice();
      otherName[5]! ^= 1;
      assert.throws(
        () => openCredential(TPM_ALG.SHA256, 128, new Uint8Array(seed), otherName, made.credentialBlob),
        VerifyError,
      );
    }),
    { numRuns: 10 },
  );
});

test('ECC EK: the secret is an ephemeral point and the seed is KDFe over the ECDH x-coordinate', () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const q = new Uint8Array(ecdh.getPublicKey());
  const t = ekTemplateEccP256();
  t.unique = { x: q.slice(1, 33), y: q.slice(33) };
  const credential = utf8('a secret for the AIK, 32 bytes!!');
  const made = makeCredential(t, aikName, credential, seededRng('ecc-ek'));
  const r = new Reader(made.secret);
  const e = TPMS_ECC_POINT.decode(r, 'secret', {});
  r.end();
  const z = new Uint8Array(ecdh.computeSecret(concat(new Uint8Array([4]), e.x, e.y)));
  const seed = kdfe(TPM_ALG.SHA256, z, 'IDENTITY', e.x, t.unique.x, 256);
  assert.equal(toHex(openCredential(TPM_ALG.SHA256, 128, seed, aikName, made.credentialBlob)), toHex(credential));
  // Deterministic with a seeded rng.
  assert.equal(
    toHex(makeCredential(t, aikName, credential, seededRng('ecc-ek')).credentialBlob),
    toHex(made.credentialBlob),
  );
});

test('credentials that are empty or longer than the digest, and non-storage EKs, are refused', () => {
  const { pub } = rsaEk();
  assert.throws(() => makeCredential(pub, aikName, new Uint8Array(0)), /credential/);
  assert.throws(() => makeCredential(pub, aikName, new Uint8Array(33)), /credential/);
  assert.throws(() => makeCredential(aikTemplateEccP256(), aikName, new Uint8Array(8)), /EK/);
});
