/**
 * Fuzz targets for the crypto layer's entry points that take peer-controlled bytes: SK payload bodies, KE payload
 * data, RFC 7427 AUTH data, and proposal strings from configuration. Only declared errors (VerifyError,
 * ParseError, ConfigError, StateError) may escape — never a raw OpenSSL error.
 * The first input byte selects the variant (suite, method, key, protocol); the rest is the data.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createKeyExchange,
  createSkCrypto,
  createEspCipher,
  keMethods,
  parseProposals,
  signDigital,
  verifyDigital,
  Encr,
  Integ,
} from '../../src/crypto/index.ts';
import type { Suite } from '../../src/crypto/index.ts';
import { concat, seededRng } from '../../src/common/index.ts';
import type { FuzzTarget } from '../support/harness.ts';

const skSuites: { suite: Suite; encrKey: number; integKey: number }[] = [
  { suite: { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: Integ.HMAC_SHA2_256_128 }, encrKey: 16, integKey: 32 },
  { suite: { encr: { id: Encr.AES_GCM_16, keyLength: 256 } }, encrKey: 36, integKey: 0 },
  { suite: { encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 } }, encrKey: 36, integKey: 0 },
];
const skKeys = skSuites.map((s, i) => {
  const rng = seededRng(`fuzz-sk-${i}`);
  return { ...s, ek: rng(s.encrKey), ik: rng(s.integKey) };
});

/** Input layout for the SK target: suite(1) ‖ aadLength(1) ‖ aad ‖ body. */
function skSeeds(): Uint8Array[] {
  return skKeys.map((k, i) => {
    const sk = createSkCrypto(k.suite, k.ek, k.ik, seededRng('seed'));
    const aad = new Uint8Array(32).fill(i);
    return concat(Uint8Array.of(i, aad.byteLength), aad, sk.seal(aad, new Uint8Array(40).fill(0x29)));
  });
}

const keys = [
  generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  generateKeyPairSync('ed25519'),
  generateKeyPairSync('rsa', { modulusLength: 1024 }),
];
const octets = new TextEncoder().encode('signed octets');

export const targets: FuzzTarget[] = [
  {
    name: 'sk-open',
    seeds: skSeeds,
    run(input) {
      if (input.byteLength < 2) return;
      const k = skKeys[input[0]! % skKeys.length]!;
      const aadLength = Math.min(input[1]!, input.byteLength - 2);
      const sk = createSkCrypto(k.suite, k.ek, k.ik, seededRng('run'));
      sk.open(input.subarray(2, 2 + aadLength), input.subarray(2 + aadLength));
    },
  },
  {
    name: 'esp-open',
    seeds: () =>
      skKeys.map((k, i) => {
        const suite = { ...k.suite, esn: i & 1 };
        const esp = createEspCipher(suite, k.ek, k.ik, seededRng('esp'));
        return concat(
          Uint8Array.of(i),
          esp.seal({ spi: 0x1000 + i, seq: 1, payload: new Uint8Array(60).fill(0x45), nextHeader: 4 }),
        );
      }),
    run(input) {
      if (input.byteLength < 1) return;
      const i = input[0]! % skKeys.length;
      const k = skKeys[i]!;
      createEspCipher({ ...k.suite, esn: i & 1 }, k.ek, k.ik, seededRng('run')).open(input.subarray(1), 0);
    },
  },
  {
    name: 'ke-receive',
    seeds: () =>
      keMethods.flatMap((m, i) => {
        const pub = createKeyExchange(m, seededRng(`ke${m}`)).publicValue();
        return [concat(Uint8Array.of(2 * i), pub)];
      }),
    run(input) {
      if (input.byteLength < 1) return;
      const method = keMethods[(input[0]! >> 1) % keMethods.length]!;
      const ke = createKeyExchange(method, seededRng('fuzz'));
      if (input[0]! & 1) ke.publicValue(); // initiator: for a KEM the peer value is then a ciphertext
      ke.receive(input.subarray(1));
      ke.sharedSecret();
      ke.dispose();
    },
  },
  {
    name: 'verify-digital',
    seeds: () => keys.map((k, i) => concat(Uint8Array.of(i), signDigital(k.privateKey, octets))),
    run(input) {
      if (input.byteLength < 1) return;
      verifyDigital(keys[input[0]! % keys.length]!.publicKey, octets, input.subarray(1));
    },
  },
  {
    name: 'proposals',
    seeds: () =>
      ['aes256gcm16-prfsha256-x25519', 'aes128-sha256-modp3072,default', 'aes256gcm16-ke1_mlkem768-esn'].map((s, i) =>
        concat(Uint8Array.of(i), new TextEncoder().encode(s)),
      ),
    run(input) {
      if (input.byteLength < 1) return;
      parseProposals(new TextDecoder('latin1').decode(input.subarray(1)), input[0]! & 1 ? 'esp' : 'ike');
    },
  },
];
