/**
 * Key derivation of IKEv2 (RFC 7296 §2.14, §2.17, §2.18) and of RFC 9370 additional key exchanges (§2.2.2, §2.2.4).
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   rekey (§2.18):     SKEYSEED = prf_old(SK_d_old, g^ir (new) | Ni | Nr)
 *   add. KE (RFC 9370): SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
 *   child (§2.17):     KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr), split encr_i, integ_i, encr_r, integ_r
 *
 * SK_e and the ESP encryption keys of AEAD ciphers include their salt (RFC 5282 §7.1, RFC 4106 §8.1, RFC 7634 §2).
 * Where several shared secrets feed one derivation (RFC 9370 §2.2.4: g^ir | SK(1) | ... | SK(n)), pass them as an
 * array, in order; they are concatenated.
 */
import { ConfigError } from '../common/errors.ts';
import { concat, wipe } from '../common/bytes.ts';
import { nameOf } from '../common/names.ts';
import { ENCR, EncrNames, INTEG, IntegNames } from './ids.ts';
import { createPrf, prfPlus } from './prf.ts';
import type { IkeKeys, Prf, Suite } from './types.ts';

/** Key material length of the ENCR transform (key plus salt), bytes. */
export function encrKeyLength(suite: Suite): number {
  const d = ENCR.get(suite.encr.id);
  if (!d) throw new ConfigError(`unsupported encryption algorithm ${nameOf(EncrNames, suite.encr.id)}`);
  if (!d.keyLengths.includes(suite.encr.keyLength)) {
    throw new ConfigError(`${d.name} does not take a ${suite.encr.keyLength}-bit key`);
  }
  return suite.encr.keyLength / 8 + d.saltSize;
}

/** Key length of the INTEG transform, bytes; 0 for none (AEAD). */
export function integKeyLength(suite: Suite): number {
  if (suite.integ === undefined || suite.integ === 0) return 0;
  const d = INTEG.get(suite.integ);
  if (!d) throw new ConfigError(`unsupported integrity algorithm ${nameOf(IntegNames, suite.integ)}`);
  return d.keySize;
}

function suitePrf(suite: Suite): Prf {
  if (suite.prf === undefined) throw new ConfigError('IKE suite without a PRF');
  return createPrf(suite.prf);
}

/** SPI as 8 bytes big-endian. */
function spiBytes(spi: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, spi));
  return b;
}

function secretBytes(s: Uint8Array | readonly Uint8Array[] | undefined): Uint8Array {
  if (s === undefined) return new Uint8Array(0);
  return s instanceof Uint8Array ? s : concat(...s);
}

export interface IkeKeyResult {
  skeyseed: Uint8Array;
  keys: IkeKeys;
}

/** Splits prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) into the seven IKE SA keys. */
function expandIkeKeys(
  prf: Prf,
  skeyseed: Uint8Array,
  suite: Suite,
  ni: Uint8Array,
  nr: Uint8Array,
  spiI: bigint,
  spiR: bigint,
): IkeKeys {
  const e = encrKeyLength(suite);
  const a = integKeyLength(suite);
  const p = prf.size;
  const seed = concat(ni, nr, spiBytes(spiI), spiBytes(spiR));
  const km = prfPlus(prf, skeyseed, seed, 3 * p + 2 * a + 2 * e);
  let o = 0;
  const take = (n: number) => km.slice(o, (o += n));
  const keys: IkeKeys = {
    skD: take(p),
    skAi: take(a),
    skAr: take(a),
    skEi: take(e),
    skEr: take(e),
    skPi: take(p),
    skPr: take(p),
  };
  wipe(km);
  return keys;
}

/** Initial IKE SA keys (RFC 7296 §2.14). */
export function deriveIkeKeys(args: {
  suite: Suite;
  ni: Uint8Array;
  nr: Uint8Array;
  sharedSecret: Uint8Array;
  spiI: bigint;
  spiR: bigint;
}): IkeKeyResult {
  const prf = suitePrf(args.suite);
  const skeyseed = prf.compute(concat(args.ni, args.nr), args.sharedSecret);
  return { skeyseed, keys: expandIkeKeys(prf, skeyseed, args.suite, args.ni, args.nr, args.spiI, args.spiR) };
}

/**
 * Keys of a rekeyed IKE SA (RFC 7296 §2.18). SKEYSEED uses the OLD SA's PRF keyed with its SK_d; the expansion uses
 * the new suite's PRF. With RFC 9370 additional exchanges pass `sharedSecret` as [g^ir, SK(1), ..., SK(n)].
 */
export function deriveRekeyedIkeKeys(args: {
  suite: Suite;
  prfOld: number;
  skDOld: Uint8Array;
  sharedSecret: Uint8Array | readonly Uint8Array[];
  ni: Uint8Array;
  nr: Uint8Array;
  spiI: bigint;
  spiR: bigint;
}): IkeKeyResult {
  const old = createPrf(args.prfOld);
  const skeyseed = old.compute(args.skDOld, concat(secretBytes(args.sharedSecret), args.ni, args.nr));
  const prf = suitePrf(args.suite);
  return { skeyseed, keys: expandIkeKeys(prf, skeyseed, args.suite, args.ni, args.nr, args.spiI, args.spiR) };
}

/**
 * IKE SA keys after an additional key exchange in IKE_INTERMEDIATE (RFC 9370 §2.2.2): SKEYSEED(n) =
 * prf(SK_d(n-1), SK(n) | Ni | Nr), expanded with the same Ni, Nr and SPIs as the initial keys.
 */
export function deriveIkeKeysAfterAddKe(args: {
  suite: Suite;
  skDOld: Uint8Array;
  sharedSecret: Uint8Array;
  ni: Uint8Array;
  nr: Uint8Array;
  spiI: bigint;
  spiR: bigint;
}): IkeKeyResult {
  const prf = suitePrf(args.suite);
  const skeyseed = prf.compute(args.skDOld, concat(args.sharedSecret, args.ni, args.nr));
  return { skeyseed, keys: expandIkeKeys(prf, skeyseed, args.suite, args.ni, args.nr, args.spiI, args.spiR) };
}

export interface ChildKeys {
  encrI: Uint8Array;
  integI: Uint8Array;
  encrR: Uint8Array;
  integR: Uint8Array;
}

/**
 * CHILD SA keys (RFC 7296 §2.17). `suite` is the child's (ESP) suite; `prf` the IKE SA's PRF (object or id);
 * `sharedSecret` the new g^ir for PFS (with RFC 9370: [g^ir, SK(1), ...]). Keys "_i" protect traffic from the
 * initiator (its outbound SA), keys "_r" traffic from the responder.
 */
export function deriveChildKeys(args: {
  prf: Prf | number;
  skD: Uint8Array;
  ni: Uint8Array;
  nr: Uint8Array;
  sharedSecret?: Uint8Array | readonly Uint8Array[];
  suite: Suite;
}): ChildKeys {
  const prf = typeof args.prf === 'number' ? createPrf(args.prf) : args.prf;
  const e = encrKeyLength(args.suite);
  const a = integKeyLength(args.suite);
  const km = prfPlus(prf, args.skD, concat(secretBytes(args.sharedSecret), args.ni, args.nr), 2 * (e + a));
  let o = 0;
  const take = (n: number) => km.slice(o, (o += n));
  const keys = { encrI: take(e), integI: take(a), encrR: take(e), integR: take(a) };
  wipe(km);
  return keys;
}

/** Zeroes every key of an IKE SA (STYLE practice 9). */
export function wipeIkeKeys(keys: IkeKeys): void {
  wipe(keys.skD, keys.skAi, keys.skAr, keys.skEi, keys.skEr, keys.skPi, keys.skPr);
}
