/**
 * RFC 7427 AUTH payloads signed by strongSwan 5.9.8 (test/vectors/crypto/strongswan-rfc7427.json): our SK code
 * opens charon's IKE_AUTH messages and verifyDigital accepts its Ed25519, ECDSA P-384 and RSASSA-PSS signatures —
 * i.e. our AlgorithmIdentifier table matches what charon sends. Ed25519 is deterministic, so our own signature
 * over the same octets must be byte-identical to charon's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  parseProposals,
  suiteFromTransforms,
  createSkCrypto,
  verifyDigital,
  signDigital,
  digitalSignatureName,
} from '../../../src/crypto/index.ts';
import { Reader, VerifyError, fromHex, seededRng, toHex } from '../../../src/common/index.ts';
import { loadVectors } from './vectors.ts';

interface Vector {
  name: string;
  ikeProposal: string;
  publicKeyI: string;
  publicKeyR: string;
  privateKeyI?: string;
  skEi: string;
  skEr: string;
  ikeAuthRequest: string;
  ikeAuthResponse: string;
  octetsI: string;
  octetsR: string;
  strongswanScheme: string;
}
const vectors = loadVectors<{ vectors: Vector[] }>('strongswan-rfc7427.json').vectors;

/** The AUTH payload (type 39) of a decrypted IKE_AUTH: method and data. */
function authOf(msg: Uint8Array, key: string, ikeProposal: string): { method: number; data: Uint8Array } {
  const suite = suiteFromTransforms(parseProposals(ikeProposal, 'ike')[0]!);
  const plain = createSkCrypto(suite, fromHex(key), new Uint8Array(0), seededRng('x')).open(
    msg.subarray(0, 32),
    msg.subarray(32),
  );
  const r = new Reader(plain, 'inner');
  let next = msg[28]!;
  while (next !== 0) {
    const t = next;
    next = r.u8('next');
    r.u8('flags');
    const body = r.sub(r.u16('length') - 4, 'body');
    if (t === 39) {
      const method = body.u8('method');
      body.skip(3, 'reserved');
      return { method, data: body.rest('data') };
    }
  }
  throw new Error('no AUTH payload');
}

const expectedName: Record<string, string> = {
  ed25519: 'Ed25519',
  ecdsa: 'ecdsa-with-SHA384',
  rsa: 'RSASSA-PSS SHA-256',
};

for (const v of vectors) {
  test(`strongSwan ${v.strongswanScheme}: charon's RFC 7427 AUTH verifies with verifyDigital`, () => {
    for (const [msg, key, pub, octets] of [
      [v.ikeAuthRequest, v.skEi, v.publicKeyI, v.octetsI],
      [v.ikeAuthResponse, v.skEr, v.publicKeyR, v.octetsR],
    ] as const) {
      const auth = authOf(fromHex(msg), key, v.ikeProposal);
      assert.equal(auth.method, 14, 'Digital Signature');
      assert.equal(digitalSignatureName(auth.data), expectedName[v.name]);
      verifyDigital(createPublicKey(pub), fromHex(octets), auth.data);
      const other = fromHex(octets);
      other[0]! ^= 1;
      assert.throws(() => verifyDigital(createPublicKey(pub), other, auth.data), VerifyError);
    }
    if (v.privateKeyI) {
      const auth = authOf(fromHex(v.ikeAuthRequest), v.skEi, v.ikeProposal);
      assert.equal(toHex(signDigital(createPrivateKey(v.privateKeyI), fromHex(v.octetsI))), toHex(auth.data));
    }
  });
}
