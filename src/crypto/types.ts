/**
 * Interfaces of the crypto layer, shared by IKE (SK payloads, key derivation, AUTH) and ESP. Implementations wrap
 * node:crypto; nothing here is a hand-written primitive.
 */

/** IKEv2 transform types (RFC 7296 §3.3.2, RFC 9370 §2.2.2). */
export const TransformType = {
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  KE: 4,
  ESN: 5,
  ADDKE1: 6,
  ADDKE2: 7,
  ADDKE3: 8,
  ADDKE4: 9,
  ADDKE5: 10,
  ADDKE6: 11,
  ADDKE7: 12,
} as const;

/** One transform of a proposal. `keyLength` is the Key Length attribute (type 14) in bits, when present. */
export interface Transform {
  type: number;
  id: number;
  keyLength?: number;
}

/** A negotiated IKE or ESP suite: exactly one transform per type. */
export interface Suite {
  encr: { id: number; keyLength: number };
  /** Absent for ESP. */
  prf?: number;
  /** Absent (or INTEG NONE = 0) with AEAD ciphers. */
  integ?: number;
  /** Key exchange method (DH group / KEM); absent for ESP without PFS. */
  ke?: number;
  /** Additional key exchanges ADDKE1..7 (RFC 9370), in order, 0 = none. */
  addKe?: number[];
  /** ESN transform for ESP: 0 no, 1 yes. */
  esn?: number;
}

/** A pseudo-random function (RFC 7296 §2.13). */
export interface Prf {
  readonly id: number;
  /** Output size in bytes; also the preferred key size. */
  readonly size: number;
  compute(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/**
 * A key exchange method: Diffie-Hellman (MODP, ECP, Curve25519/448) or a KEM (ML-KEM).
 * Initiator: publicValue() → receive(peer) → sharedSecret(). Responder: receive(peer) → publicValue() →
 * sharedSecret(). For a KEM the initiator's value is the encapsulation key, the responder's the ciphertext.
 * receive() throws VerifyError for an invalid peer value (wrong length, point not on the curve, zero secret).
 */
export interface KeyExchange {
  readonly method: number;
  publicValue(): Uint8Array;
  receive(peer: Uint8Array): void;
  sharedSecret(): Uint8Array;
  /** Zeroes private material. */
  dispose(): void;
}

/**
 * Encryption of IKE SK/SKF payloads (RFC 7296 §3.14, AEAD per RFC 5282, ChaCha20-Poly1305 per RFC 7634).
 * `aad` is everything the ICV covers before the IV: the IKE header and every payload header up to and including
 * the SK (or SKF, with its fragment numbers) generic header, with final lengths.
 */
export interface SkCrypto {
  readonly ivLength: number;
  readonly icvLength: number;
  /** Cipher block size used for padding (1 for stream-like AEADs... IKE pads to at least 1 pad-length byte). */
  readonly blockSize: number;
  /** Length of the SK body (IV ‖ ciphertext ‖ ICV) for a plaintext length, so headers can be written first. */
  sealedLength(plaintextLength: number): number;
  /** Returns IV ‖ encrypt(plaintext ‖ padding ‖ pad length) ‖ ICV. */
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns the plaintext inner payloads; VerifyError on an ICV mismatch, ParseError on bad lengths or padding. */
  open(aad: Uint8Array, body: Uint8Array): Uint8Array;
}

/** The IKE SA keys of RFC 7296 §2.14. */
export interface IkeKeys {
  skD: Uint8Array;
  skAi: Uint8Array;
  skAr: Uint8Array;
  skEi: Uint8Array;
  skEr: Uint8Array;
  skPi: Uint8Array;
  skPr: Uint8Array;
}
