/**
 * strongSwan proposal strings (swanctl.conf `proposals` / `esp_proposals`) and proposal selection (RFC 7296 §2.7,
 * §3.3; RFC 9370 §2.2 for ADDKE transforms).
 *
 * Syntax and rules follow strongSwan's proposal_keywords_static.txt and proposal.c (proposal_create_from_string,
 * check_proposal, select_algo): algorithms separated by '-', several per type allowed; `keN_<method>` adds an
 * additional key exchange (ADDKE N); a comma-separated list gives several proposals; `default` expands to the
 * default proposals (IKE: classic then AEAD; ESP: AEAD then classic). In IKE, a missing PRF is derived from each
 * integrity algorithm (sha256 → prfsha256); KE `none` is dropped from IKE proposals; AEAD-only proposals lose any
 * integrity algorithm; ESP proposals lose any PRF and get ESN `noesn` unless given.
 *
 * Selection: for every transform type present in either proposal, the first algorithm of the preferred side that
 * the other side also has (same id, same key length) is chosen; integrity is skipped once an AEAD was chosen; in
 * ESP and for ADDKE types a proposed NONE makes the type optional; unknown transform ids never match and so are
 * ignored.
 */
import { ConfigError } from '../common/errors.ts';
import { nameOf } from '../common/names.ts';
import {
  ENCR,
  Encr,
  EncrNames,
  Esn,
  INTEG,
  Integ,
  IntegNames,
  KE,
  KeMethod,
  KeMethodNames,
  PRF,
  PrfId,
  PrfIdNames,
} from './ids.ts';
import { isKeTransformType } from './ids.ts';
import { keMethods } from './ke.ts';
import { TransformType } from './types.ts';
import type { Suite, Transform } from './types.ts';

export type ProposalProtocol = 'ike' | 'esp';

interface Token {
  type: number;
  id: number;
  keyLength?: number;
}

/** Keyword table for the algorithms we implement (subset of strongSwan's proposal_keywords_static.txt). */
const KEYWORDS: ReadonlyMap<string, Token> = (() => {
  const m = new Map<string, Token>();
  const add = (type: number, id: number, keyLength: number | undefined, ...names: string[]) => {
    for (const n of names) m.set(n, keyLength === undefined ? { type, id } : { type, id, keyLength });
  };
  const E = TransformType.ENCR;
  add(E, Encr.AES_CBC, 128, 'aes', 'aes128');
  add(E, Encr.AES_CBC, 192, 'aes192');
  add(E, Encr.AES_CBC, 256, 'aes256');
  for (const bits of [128, 192, 256]) {
    add(E, Encr.AES_GCM_8, bits, `aes${bits}gcm8`, `aes${bits}gcm64`);
    add(E, Encr.AES_GCM_12, bits, `aes${bits}gcm12`, `aes${bits}gcm96`);
    add(E, Encr.AES_GCM_16, bits, `aes${bits}gcm16`, `aes${bits}gcm128`, `aes${bits}gcm`);
  }
  add(E, Encr.CHACHA20_POLY1305, undefined, 'chacha20poly1305');
  const I = TransformType.INTEG;
  add(I, Integ.HMAC_SHA1_96, undefined, 'sha', 'sha1');
  add(I, Integ.HMAC_SHA2_256_128, undefined, 'sha256', 'sha2_256');
  add(I, Integ.HMAC_SHA2_384_192, undefined, 'sha384', 'sha2_384');
  add(I, Integ.HMAC_SHA2_512_256, undefined, 'sha512', 'sha2_512');
  const P = TransformType.PRF;
  add(P, PrfId.PRF_HMAC_SHA1, undefined, 'prfsha1');
  add(P, PrfId.PRF_HMAC_SHA2_256, undefined, 'prfsha256');
  add(P, PrfId.PRF_HMAC_SHA2_384, undefined, 'prfsha384');
  add(P, PrfId.PRF_HMAC_SHA2_512, undefined, 'prfsha512');
  const K = TransformType.KE;
  add(K, KeMethod.NONE, undefined, 'none', 'modpnone');
  for (const d of KE.values()) add(K, d.id, undefined, d.keyword);
  add(K, KeMethod.CURVE_25519, undefined, 'x25519');
  add(K, KeMethod.CURVE_448, undefined, 'x448');
  add(TransformType.ESN, Esn.NO, undefined, 'noesn');
  add(TransformType.ESN, Esn.YES, undefined, 'esn');
  return m;
})();

/** Integrity → PRF of the same hash (proposal.c integ_prf_map). */
const INTEG_PRF: ReadonlyMap<number, number> = new Map([
  [Integ.HMAC_SHA1_96, PrfId.PRF_HMAC_SHA1],
  [Integ.HMAC_SHA2_256_128, PrfId.PRF_HMAC_SHA2_256],
  [Integ.HMAC_SHA2_384_192, PrfId.PRF_HMAC_SHA2_384],
  [Integ.HMAC_SHA2_512_256, PrfId.PRF_HMAC_SHA2_512],
]);

/** Print order of transform types in strongSwan (proposal.c type_for_sort): ENCR, INTEG, PRF, KE, ESN, ADDKE1..7. */
function typeRank(type: number): number {
  if (type === TransformType.INTEG) return 2;
  if (type === TransformType.PRF) return 3;
  return type;
}

function sortTransforms(ts: Transform[]): Transform[] {
  return ts
    .map((t, i) => ({ t, i }))
    .sort((a, b) => typeRank(a.t.type) - typeRank(b.t.type) || a.i - b.i)
    .map((x) => x.t);
}

function token(word: string, text: string): Token {
  const w = word.toLowerCase();
  const direct = KEYWORDS.get(w);
  if (direct) return direct;
  const add = /^ke([1-7])_(.+)$/.exec(w);
  if (add) {
    const base = KEYWORDS.get(add[2]!);
    if (base && base.type === TransformType.KE) return { type: TransformType.ADDKE1 + Number(add[1]) - 1, id: base.id };
  }
  throw new ConfigError(`algorithm '${word}' not recognized in proposal '${text}'`);
}

function isAead(id: number): boolean {
  return ENCR.get(id)?.aead ?? false;
}

/** check_proposal of strongSwan, on one parsed proposal. */
function checkProposal(list: Transform[], proto: ProposalProtocol, text: string): Transform[] {
  let ts = list;
  const has = (type: number) => ts.some((t) => t.type === type);
  if (proto === 'ike') {
    if (!has(TransformType.PRF)) {
      for (const t of ts.filter((x) => x.type === TransformType.INTEG)) {
        const prf = INTEG_PRF.get(t.id);
        if (prf !== undefined) ts.push({ type: TransformType.PRF, id: prf });
      }
    }
    if (!has(TransformType.PRF)) throw new ConfigError(`a PRF algorithm is mandatory in IKE proposals ('${text}')`);
    ts = ts.filter((t) => !(t.type === TransformType.KE && t.id === KeMethod.NONE));
    if (!has(TransformType.KE))
      throw new ConfigError(`a key exchange method is mandatory in IKE proposals ('${text}')`);
  } else {
    ts = ts.filter((t) => t.type !== TransformType.PRF);
  }
  const encr = ts.filter((t) => t.type === TransformType.ENCR);
  if (encr.length === 0)
    throw new ConfigError(`an encryption algorithm is mandatory in ${proto.toUpperCase()} proposals ('${text}')`);
  const aead = encr.filter((t) => isAead(t.id)).length;
  if (aead && aead !== encr.length) {
    throw new ConfigError(`classic and AEAD encryption algorithms can't be in the same proposal ('${text}')`);
  }
  if (aead) ts = ts.filter((t) => t.type !== TransformType.INTEG);
  else if (proto === 'ike' && !has(TransformType.INTEG)) {
    throw new ConfigError(`an integrity algorithm is mandatory in IKE proposals with classic encryption ('${text}')`);
  }
  if (proto === 'esp' && !has(TransformType.ESN)) ts.push({ type: TransformType.ESN, id: Esn.NO });
  // Drop exact duplicates (e.g. a PRF both given and implied).
  const seen = new Set<string>();
  ts = ts.filter((t) => {
    const k = `${t.type}/${t.id}/${t.keyLength ?? 0}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return sortTransforms(ts);
}

function parseOne(text: string, proto: ProposalProtocol): Transform[] {
  const words = text.split('-').map((w) => w.trim());
  if (words.some((w) => w === '')) throw new ConfigError(`empty algorithm in proposal '${text}'`);
  return checkProposal(
    words.map((w) => {
      const t = token(w, text);
      return t.keyLength === undefined
        ? { type: t.type, id: t.id }
        : { type: t.type, id: t.id, keyLength: t.keyLength };
    }),
    proto,
    text,
  );
}

const t = (type: number, id: number, keyLength?: number): Transform =>
  keyLength === undefined ? { type, id } : { type, id, keyLength };
const AES_SIZES = [128, 192, 256];

/** Our KE methods in strongSwan's default order (ECC, then MODP ≥ 3072, then MODP 2048); no ML-KEM by default. */
function defaultKe(): Transform[] {
  return keMethods.filter((id) => KE.get(id)?.kind !== 'mlkem').map((id) => t(TransformType.KE, id));
}

/** The default proposals (proposal_create_default / _default_aead, restricted to what we implement). */
export function defaultProposals(proto: ProposalProtocol): Transform[][] {
  const E = TransformType.ENCR;
  const classicIntegs = [Integ.HMAC_SHA2_256_128, Integ.HMAC_SHA2_384_192, Integ.HMAC_SHA2_512_256, Integ.HMAC_SHA1_96];
  const prfs = [PrfId.PRF_HMAC_SHA2_256, PrfId.PRF_HMAC_SHA2_384, PrfId.PRF_HMAC_SHA2_512, PrfId.PRF_HMAC_SHA1].map(
    (id) => t(TransformType.PRF, id),
  );
  if (proto === 'ike') {
    const classic = [
      ...AES_SIZES.map((b) => t(E, Encr.AES_CBC, b)),
      ...classicIntegs.map((id) => t(TransformType.INTEG, id)),
      ...prfs,
      ...defaultKe(),
    ];
    const aead = [
      ...AES_SIZES.map((b) => t(E, Encr.AES_GCM_16, b)),
      t(E, Encr.CHACHA20_POLY1305),
      ...AES_SIZES.map((b) => t(E, Encr.AES_GCM_12, b)),
      ...AES_SIZES.map((b) => t(E, Encr.AES_GCM_8, b)),
      ...prfs,
      ...defaultKe(),
    ];
    return [sortTransforms(classic), sortTransforms(aead)];
  }
  const optionalKe = [...defaultKe(), t(TransformType.KE, KeMethod.NONE)];
  const aead = [...AES_SIZES.map((b) => t(E, Encr.AES_GCM_16, b)), t(TransformType.ESN, Esn.NO), ...optionalKe];
  const classic = [
    ...AES_SIZES.map((b) => t(E, Encr.AES_CBC, b)),
    ...classicIntegs.map((id) => t(TransformType.INTEG, id)),
    t(TransformType.ESN, Esn.NO),
    ...optionalKe,
  ];
  return [sortTransforms(aead), sortTransforms(classic)];
}

/**
 * Parses a strongSwan proposal list (`aes256gcm16-prfsha256-x25519, aes128-sha256-modp3072`, `default`).
 * Each inner array is one proposal's transforms. ConfigError naming the offending keyword or rule.
 */
export function parseProposals(text: string, proto: ProposalProtocol): Transform[][] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) throw new ConfigError('empty proposal list');
  const out: Transform[][] = [];
  for (const p of parts) {
    if (p === '') throw new ConfigError(`empty proposal in '${text}'`);
    if (p.toLowerCase() === 'default') out.push(...defaultProposals(proto));
    else out.push(parseOne(p, proto));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Selection

export interface OfferedProposal {
  num: number;
  transforms: Transform[];
}

export interface SelectedProposal {
  /** Proposal number of the offered proposal that was chosen (echoed in the reply). */
  num: number;
  suite: Suite;
  /** Exactly one transform per type, as offered (with its Key Length attribute). */
  transforms: Transform[];
}

export interface SelectOptions {
  /** Walk our configured proposals (and algorithms) first, like a strongSwan responder; default: the peer's. */
  preferOurs?: boolean;
  /** Protocol; inferred (a PRF transform means IKE) when absent. Makes KE optional for ESP. */
  protocol?: ProposalProtocol;
}

const keyLengthOf = (x: Transform) => x.keyLength ?? 0;

/** select_algos of strongSwan for one pair; `a` is the preferred side. Returns the chosen transforms or null. */
function selectPair(a: Transform[], b: Transform[], proto: ProposalProtocol): Transform[] | null {
  const types = [...new Set([...a, ...b].map((x) => x.type))].sort((x, y) => typeRank(x) - typeRank(y));
  const chosen: Transform[] = [];
  const usedKe = new Set<number>();
  let aeadChosen = false;
  for (const type of types) {
    if (type === TransformType.INTEG && aeadChosen) continue;
    const optional = isKeTransformType(type) && (proto === 'esp' || type !== TransformType.KE);
    const ours = a.filter((x) => x.type === type);
    const theirs = b.filter((x) => x.type === type);
    let pick: Transform | undefined;
    let ok = false;
    if (ours.length === 0 || theirs.length === 0) {
      const present = ours.length ? ours : theirs;
      ok = present.length === 0 || (optional && present.some((x) => x.id === 0));
    } else {
      for (const x of ours) {
        if (isKeTransformType(type) && usedKe.has(x.id)) continue;
        const y = theirs.find((z) => z.id === x.id && keyLengthOf(z) === keyLengthOf(x));
        if (y) {
          pick = y;
          ok = true;
          break;
        }
      }
    }
    if (!ok) return null;
    if (!pick || (pick.id === 0 && type !== TransformType.ESN)) continue;
    chosen.push(
      pick.keyLength === undefined ? { type, id: pick.id } : { type, id: pick.id, keyLength: pick.keyLength },
    );
    if (isKeTransformType(type)) usedKe.add(pick.id);
    if (type === TransformType.ENCR && isAead(pick.id)) aeadChosen = true;
  }
  return chosen;
}

/** Whether we implement every algorithm of a chosen set (so a suite can be built). */
function supported(ts: Transform[]): boolean {
  return ts.every((x) => {
    switch (x.type) {
      case TransformType.ENCR: {
        const d = ENCR.get(x.id);
        return (
          !!d &&
          d.keyLengths.includes(x.keyLength ?? d.keyLengths[d.keyLengths.length - 1]!) &&
          d.keyLengthAttribute === (x.keyLength !== undefined)
        );
      }
      case TransformType.PRF:
        return PRF.has(x.id);
      case TransformType.INTEG:
        return x.id === 0 || INTEG.has(x.id);
      case TransformType.ESN:
        return x.id === 0 || x.id === 1;
      default:
        return isKeTransformType(x.type) ? x.id === 0 || KE.has(x.id) : false;
    }
  });
}

/**
 * Chooses one proposal (RFC 7296 §2.7) from `offered` (the peer's, with their numbers) that matches one of our
 * `configured` proposals. Returns null if none matches (→ NO_PROPOSAL_CHOSEN).
 */
export function selectProposal(
  offered: readonly OfferedProposal[],
  configured: readonly Transform[][],
  opts: SelectOptions = {},
): SelectedProposal | null {
  const proto: ProposalProtocol =
    opts.protocol ?? (configured.some((p) => p.some((x) => x.type === TransformType.PRF)) ? 'ike' : 'esp');
  const pairs: [OfferedProposal, Transform[]][] = [];
  if (opts.preferOurs) for (const c of configured) for (const o of offered) pairs.push([o, c]);
  else for (const o of offered) for (const c of configured) pairs.push([o, c]);
  for (const [o, c] of pairs) {
    const chosen = opts.preferOurs ? selectPair(c, o.transforms, proto) : selectPair(o.transforms, c, proto);
    if (chosen && supported(chosen)) return { num: o.num, suite: suiteFromTransforms(chosen), transforms: chosen };
  }
  return null;
}

/** The suite of a chosen proposal (one transform per type). ConfigError when a mandatory part is missing. */
export function suiteFromTransforms(transforms: readonly Transform[]): Suite {
  const one = (type: number) => {
    const all = transforms.filter((x) => x.type === type);
    if (all.length > 1) throw new ConfigError(`chosen proposal has ${all.length} transforms of type ${type}`);
    return all[0];
  };
  const encr = one(TransformType.ENCR);
  if (!encr) throw new ConfigError('chosen proposal has no encryption algorithm');
  const d = ENCR.get(encr.id);
  if (!d) throw new ConfigError(`unsupported encryption algorithm ${nameOf(EncrNames, encr.id)}`);
  const keyLength = encr.keyLength ?? d.keyLengths[d.keyLengths.length - 1]!;
  const suite: Suite = { encr: { id: encr.id, keyLength } };
  const prf = one(TransformType.PRF);
  if (prf) suite.prf = prf.id;
  const integ = one(TransformType.INTEG);
  if (integ && integ.id !== 0) suite.integ = integ.id;
  const ke = one(TransformType.KE);
  if (ke && ke.id !== 0) suite.ke = ke.id;
  const addKe: number[] = [];
  for (let n = 0; n < 7; n++) {
    const x = one(TransformType.ADDKE1 + n);
    if (x && x.id !== 0) addKe[n] = x.id;
  }
  if (addKe.length) suite.addKe = Array.from(addKe, (x) => x ?? 0);
  const esn = one(TransformType.ESN);
  if (esn) suite.esn = esn.id;
  return suite;
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

function encrLabel(id: number, keyLength: number | undefined, sep: string): string {
  const d = ENCR.get(id);
  const name = d?.name ?? EncrNames.get(id) ?? `ENCR_${id}`;
  const showKey = keyLength !== undefined && (d ? d.keyLengthAttribute : true);
  return showKey ? `${name}${sep}${keyLength}` : name;
}
const integLabel = (id: number) => INTEG.get(id)?.name ?? IntegNames.get(id) ?? `INTEG_${id}`;
const prfLabel = (id: number) => PRF.get(id)?.name ?? PrfIdNames.get(id) ?? `PRF_${id}`;
const keLabel = (id: number) => KE.get(id)?.name ?? (id === 0 ? 'KE_NONE' : (KeMethodNames.get(id) ?? `KE_${id}`));

/**
 * A negotiated suite the way `swanctl --list-sas` prints it: IKE `AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/
 * MODP_3072/KE1_ML_KEM_768`, ESP `AES_GCM_16-256/MODP_3072/ESN`.
 */
export function formatSuite(suite: Suite, proto: ProposalProtocol): string {
  const parts = [encrLabel(suite.encr.id, suite.encr.keyLength, '-')];
  if (suite.integ) parts.push(integLabel(suite.integ));
  if (proto === 'ike' && suite.prf !== undefined) parts.push(prfLabel(suite.prf));
  if (suite.ke) parts.push(keLabel(suite.ke));
  suite.addKe?.forEach((id, i) => {
    if (id) parts.push(`KE${i + 1}_${keLabel(id)}`);
  });
  if (proto === 'esp' && suite.esn === Esn.YES) parts.push('ESN');
  return parts.join('/');
}

/** A proposal's transforms the way charon logs them: `IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072`. */
export function formatTransforms(transforms: readonly Transform[], proto: ProposalProtocol): string {
  const names = sortTransforms([...transforms]).map((x) => {
    switch (x.type) {
      case TransformType.ENCR:
        return encrLabel(x.id, x.keyLength, '_');
      case TransformType.INTEG:
        return integLabel(x.id);
      case TransformType.PRF:
        return prfLabel(x.id);
      case TransformType.ESN:
        return x.id === Esn.YES ? 'EXT_SEQ' : 'NO_EXT_SEQ';
      default:
        if (x.type === TransformType.KE) return keLabel(x.id);
        if (isKeTransformType(x.type)) return `KE${x.type - TransformType.ADDKE1 + 1}_${keLabel(x.id)}`;
        return `UNKNOWN_${x.type}_${x.id}`;
    }
  });
  return `${proto.toUpperCase()}:${names.join('/')}`;
}
