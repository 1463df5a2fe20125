/**
 * Key exchange methods for the KE payload (RFC 7296 §3.4) over node:crypto:
 *
 * - MODP 2048/3072/4096 (RFC 3526). Public value and shared secret are left-padded to the prime length
 *   (RFC 7296 §3.4, §2.14). Peer values 0, 1, p-1 and ≥ p are rejected (RFC 8247 §2.4, SP 800-56A 5.6.2.3.1).
 * - ECP 256/384 (RFC 5903 §7): KE data = x ‖ y without the point-format octet; shared secret = x. Points not on
 *   the curve are rejected by OpenSSL (computeSecret).
 * - Curve25519/448 (RFC 8031 §2): raw 32/56-byte u-coordinates; an all-zero shared secret is rejected (§2.3).
 * - ML-KEM-512/768/1024 (FIPS 203, draft-ietf-ipsecme-ikev2-mlkem §2): the initiator sends its encapsulation key,
 *   the responder the ciphertext; the shared secret is the 32-byte K.
 *
 * Roles follow the call order (types.ts): publicValue() before receive() = initiator, receive() first = responder.
 * For the DH methods the order does not matter; for a KEM it decides who encapsulates. Private values come from the
 * injected rng (scalar, exponent or ML-KEM seed), so tests are reproducible; ML-KEM encapsulation randomness comes
 * from OpenSSL and is not injectable.
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  decapsulate,
  diffieHellman,
  encapsulate,
  getDiffieHellman,
} from 'node:crypto';
import type { ECDH, KeyObject } from 'node:crypto';
import { ConfigError, StateError, VerifyError } from '../common/errors.ts';
import { Reader, fromHex, wipe } from '../common/bytes.ts';
import { DerTag, derUint, readTlv, readUint, tlv } from './der.ts';
import { nameOf } from '../common/names.ts';
import { systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { KE, KeMethod, KeMethodNames } from './ids.ts';
import type { KeDescriptor } from './ids.ts';
import type { KeyExchange } from './types.ts';

/** The key exchange method ids this implementation supports, in strongSwan's default preference order. */
export const keMethods: readonly number[] = [
  KeMethod.ECP_256,
  KeMethod.ECP_384,
  KeMethod.CURVE_25519,
  KeMethod.CURVE_448,
  KeMethod.MODP_3072,
  KeMethod.MODP_4096,
  KeMethod.MODP_2048,
  KeMethod.ML_KEM_512,
  KeMethod.ML_KEM_768,
  KeMethod.ML_KEM_1024,
];

/** A Buffer view of our bytes (Buffer.from would copy secrets into node's unwiped pool). */
function view(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** A copy (node may hand out views of a shared pool; secrets must own their memory so wipe() is complete). */
function u8(b: Buffer): Uint8Array {
  const out = new Uint8Array(b);
  b.fill(0);
  return out;
}

function leftPad(b: Uint8Array, n: number): Uint8Array {
  if (b.byteLength === n) return b;
  const out = new Uint8Array(n);
  out.set(b, n - b.byteLength);
  return out;
}

function toBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return hex ? BigInt('0x' + hex) : 0n;
}

const primes = new Map<string, Buffer>();
function modpPrime(group: string): Buffer {
  let p = primes.get(group);
  if (!p) {
    p = getDiffieHellman(group).getPrime();
    primes.set(group, p);
  }
  return p;
}

/** The primitive behind one method: make our value, absorb the peer's, report the secret. */
interface Engine {
  /** Our KE data; `asResponder` is set when the peer's value came first. */
  ours(): Uint8Array;
  absorb(peer: Uint8Array, asResponder: boolean): Uint8Array;
  dispose(): void;
}

function checkLength(d: KeDescriptor, peer: Uint8Array, expected: number): void {
  if (peer.byteLength !== expected) {
    throw new VerifyError('KE', `${d.name} value must be ${expected} bytes, got ${peer.byteLength}`);
  }
}

const DH_OID = fromHex('06092a864886f70d010301'); // dhKeyAgreement, PKCS #3 (RFC 3279 §2.3.3)

function modpEngine(d: KeDescriptor, rng: Rng): Engine {
  const prime = modpPrime(d.node);
  const p = toBigInt(prime);
  const algId = tlv(DerTag.SEQUENCE, DH_OID, tlv(DerTag.SEQUENCE, derUint(prime), derUint(Uint8Array.of(2))));
  const x = rng(d.privateSize);
  new DataView(x.buffer, x.byteOffset, 1).setUint8(0, x.at(0)! | 0x80); // full-size exponent, never 0
  const pkcs8 = tlv(DerTag.SEQUENCE, derUint(Uint8Array.of(0)), algId, tlv(DerTag.OCTET_STRING, derUint(x)));
  wipe(x);
  let priv: KeyObject | undefined = createPrivateKey({ key: view(pkcs8), format: 'der', type: 'pkcs8' });
  wipe(pkcs8);
  // Our public value y, read back from the SubjectPublicKeyInfo OpenSSL derives.
  const spki = new Reader(u8(createPublicKey(priv).export({ type: 'spki', format: 'der' })), 'spki');
  const outer = readTlv(spki, DerTag.SEQUENCE, 'spki');
  readTlv(outer, DerTag.SEQUENCE, 'algorithm');
  const bits = readTlv(outer, DerTag.BIT_STRING, 'subjectPublicKey');
  bits.u8('unusedBits');
  const pub = leftPad(readUint(bits, 'y'), prime.byteLength);
  return {
    ours: () => pub,
    absorb(peer) {
      checkLength(d, peer, prime.byteLength);
      const v = toBigInt(peer);
      if (v <= 1n || v >= p - 1n) throw new VerifyError('KE', `${d.name} peer value out of range (0, 1, p-1 or ≥ p)`);
      if (!priv) throw new StateError('KE disposed');
      const peerSpki = tlv(DerTag.SEQUENCE, algId, tlv(DerTag.BIT_STRING, Uint8Array.of(0), derUint(peer)));
      let s: Buffer;
      try {
        const publicKey = createPublicKey({ key: view(peerSpki), format: 'der', type: 'spki' });
        s = diffieHellman({ privateKey: priv, publicKey });
      } catch (e) {
        throw new VerifyError('KE', `${d.name} peer value rejected`, { cause: e });
      }
      return leftPad(u8(s), prime.byteLength);
    },
    dispose() {
      priv = undefined;
    },
  };
}

function ecpEngine(d: KeDescriptor, rng: Rng): Engine {
  let ecdh: ECDH | undefined = createECDH(d.node);
  const size = d.privateSize;
  for (let tries = 0; ; tries++) {
    const priv = rng(size);
    try {
      ecdh.setPrivateKey(view(priv));
      break;
    } catch (e) {
      if (tries > 16) throw new ConfigError(`${d.name}: rng yields no valid private key`, { cause: e });
    } finally {
      wipe(priv);
    }
  }
  const pub = u8(ecdh.getPublicKey()).subarray(1); // drop the 0x04 point-format octet
  return {
    ours: () => pub,
    absorb(peer) {
      checkLength(d, peer, d.initiatorLength);
      if (!ecdh) throw new StateError('KE disposed');
      const point = new Uint8Array(peer.byteLength + 1);
      point.set([4]);
      point.set(peer, 1);
      try {
        return leftPad(u8(ecdh.computeSecret(point)), size);
      } catch (e) {
        throw new VerifyError('KE', `${d.name} peer value is not a point on the curve`, { cause: e });
      }
    },
    dispose() {
      ecdh = undefined;
    },
  };
}

function ecxEngine(d: KeDescriptor, rng: Rng): Engine {
  const type = d.node as 'x25519' | 'x448';
  const seed = rng(d.privateSize);
  let priv: KeyObject | undefined = createPrivateKey({
    key: view(seed),
    format: 'raw-private',
    asymmetricKeyType: type,
  });
  wipe(seed);
  const pub = u8(createPublicKey(priv).export({ format: 'raw-public' }));
  return {
    ours: () => pub,
    absorb(peer) {
      checkLength(d, peer, d.initiatorLength);
      if (!priv) throw new StateError('KE disposed');
      let s: Uint8Array;
      try {
        const publicKey = createPublicKey({ key: view(peer), format: 'raw-public', asymmetricKeyType: type });
        s = u8(diffieHellman({ privateKey: priv, publicKey }));
      } catch (e) {
        throw new VerifyError('KE', `${d.name} peer value rejected`, { cause: e });
      }
      if (s.every((x) => x === 0)) throw new VerifyError('KE', `${d.name} shared secret is all zero`);
      return s;
    },
    dispose() {
      priv = undefined;
    },
  };
}

function mlkemEngine(d: KeDescriptor, rng: Rng): Engine {
  const type = d.node as 'ml-kem-512' | 'ml-kem-768' | 'ml-kem-1024';
  let priv: KeyObject | undefined;
  let pub: Uint8Array | undefined;
  let ciphertext: Uint8Array | undefined;
  return {
    ours() {
      if (ciphertext) return ciphertext;
      if (!pub) {
        const seed = rng(d.privateSize);
        priv = createPrivateKey({ key: view(seed), format: 'raw-seed', asymmetricKeyType: type });
        wipe(seed);
        pub = u8(createPublicKey(priv).export({ format: 'raw-public' }));
      }
      return pub;
    },
    absorb(peer, asResponder) {
      if (asResponder) {
        checkLength(d, peer, d.initiatorLength);
        let r: { sharedKey: Buffer; ciphertext: Buffer };
        try {
          const key = createPublicKey({ key: view(peer), format: 'raw-public', asymmetricKeyType: type });
          r = encapsulate(key);
        } catch (e) {
          throw new VerifyError('KE', `${d.name} encapsulation key rejected`, { cause: e });
        }
        ciphertext = u8(r.ciphertext);
        return u8(r.sharedKey);
      }
      checkLength(d, peer, d.responderLength);
      if (!priv) throw new StateError('KE disposed');
      try {
        return u8(decapsulate(priv, peer));
      } catch (e) {
        throw new VerifyError('KE', `${d.name} ciphertext rejected`, { cause: e });
      }
    },
    dispose() {
      priv = undefined;
    },
  };
}

const engines: Record<KeDescriptor['kind'], (d: KeDescriptor, rng: Rng) => Engine> = {
  modp: modpEngine,
  ecp: ecpEngine,
  ecx: ecxEngine,
  mlkem: mlkemEngine,
};

/** A key exchange for a method id (KeMethod). ConfigError for unsupported methods. */
export function createKeyExchange(method: number, rng: Rng = systemRng): KeyExchange {
  const d = KE.get(method);
  if (!d) throw new ConfigError(`unsupported key exchange method ${nameOf(KeMethodNames, method)}`);
  const engine = engines[d.kind](d, rng);
  let sentFirst = false;
  let secret: Uint8Array | undefined;
  let disposed = false;
  const live = () => {
    if (disposed) throw new StateError(`${d.name} key exchange was disposed`);
  };
  return {
    method,
    publicValue() {
      live();
      if (secret === undefined) sentFirst = true;
      return engine.ours();
    },
    receive(peer) {
      live();
      if (secret !== undefined) throw new StateError(`${d.name} peer value already received`);
      secret = engine.absorb(peer, !sentFirst);
    },
    sharedSecret() {
      live();
      if (secret === undefined) throw new StateError(`${d.name} shared secret before the peer's value`);
      return secret;
    },
    dispose() {
      disposed = true;
      wipe(secret);
      secret = undefined;
      engine.dispose();
    },
  };
}
