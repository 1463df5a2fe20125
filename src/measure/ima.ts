/**
 * Linux IMA runtime measurement list: binary and ASCII parsers, template field codecs, template hashes.
 * Pure (no I/O); reading /sys/kernel/security/ima/* lives in collect-ima.ts.
 *
 * Read from the kernel (security/integrity/ima/ima_fs.c, ima_template_lib.c, ima_crypto.c, ima_queue.c):
 *
 * Binary list (`binary_runtime_measurements`, `binary_runtime_measurements_<alg>`), one record per entry, integers
 * in the CPU's byte order — little-endian here (x86, arm64) or with `ima_canonical_fmt`:
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        PCR index (le32)                       |
 *   +---------------------------------------------------------------+
 *   |  template digest (20 bytes SHA-1, or the bank's size in the   |
 *   |  per-algorithm lists)                                         |
 *   +---------------------------------------------------------------+
 *   |                  template name length (le32)                  |
 *   +---------------------------------------------------------------+
 *   |                  template name (no NUL)                       |
 *   +---------------------------------------------------------------+
 *   |  template data length (le32)  -- absent for template "ima"    |
 *   +---------------------------------------------------------------+
 *   |  template data: per field le32 length + field data; for "ima" |
 *   |  the 20-byte digest, then le32 strlen(name) + name (no NUL)   |
 *   +---------------------------------------------------------------+
 *
 * ASCII list: `%2d <template digest hex> <template name>` then, per field, a space and the field shown as text
 * (nothing for an empty field, so an ima-sig entry without signature ends with a space).
 *
 * Field data as the kernel keeps (and hashes) it:
 *   d       20-byte digest (legacy, template "ima")
 *   n       name + NUL (template "ima"); hashed zero-padded to 256 bytes
 *   d-ng    "<algo>:" NUL digest        (ASCII `<algo>:<hex>`)
 *   d-ngv2  "<type>:<algo>:" NUL digest (ASCII `<type>:<algo>:<hex>`)
 *   n-ng    name + NUL                  (ASCII: the name)
 *   sig, buf, modsig, d-modsig   bytes  (ASCII: hex; d-modsig is digest-with-algo)
 *
 * Template hash (ima_calc_field_array_hash_tfm): for every template but "ima",
 * H(le32(len(f1)) ‖ f1 ‖ le32(len(f2)) ‖ f2 ‖ …), i.e. the hash of the binary template data; for "ima",
 * H(d ‖ n zero-padded to 256 bytes). For the ima-ng formula of INTEROP.md §7 this gives
 * H(le32(len("algo:\0") + len(digest)) ‖ "algo:\0" ‖ digest ‖ le32(len(name) + 1) ‖ name ‖ "\0").
 *
 * Violations (ima_add_violation → ima_store_template with violation = 1) log a template digest of all zeros but
 * extend the PCR with all 0xff (ima_init_digests); see `isViolation` and replay.ts.
 */
import { Reader, Writer, concat, equal, toHex } from '../common/bytes.ts';
import { LimitError, ParseError, VerifyError } from '../common/errors.ts';
import { DIGEST_SIZE, digest, type HashName } from './hash.ts';

/** Kernel field ids, grouped by how they are shown and parsed. */
export type ImaFieldKind = 'digest' | 'digest-algo' | 'name' | 'legacy-name' | 'hex';

const FIELD_KIND: Readonly<Record<string, ImaFieldKind>> = {
  d: 'digest',
  n: 'legacy-name',
  'd-ng': 'digest-algo',
  'd-ngv2': 'digest-algo',
  'd-modsig': 'digest-algo',
  'n-ng': 'name',
  sig: 'hex',
  buf: 'hex',
  modsig: 'hex',
};

/** Built-in templates (ima_template.c `builtin_templates`) and their field ids. */
export const IMA_TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  ima: ['d', 'n'],
  'ima-ng': ['d-ng', 'n-ng'],
  'ima-ngv2': ['d-ngv2', 'n-ng'],
  'ima-sig': ['d-ng', 'n-ng', 'sig'],
  'ima-sigv2': ['d-ngv2', 'n-ng', 'sig'],
  'ima-buf': ['d-ng', 'n-ng', 'buf'],
  'ima-modsig': ['d-ng', 'n-ng', 'sig', 'd-modsig', 'modsig'],
};

/** PCR that IMA extends by default (CONFIG_IMA_MEASURE_PCR_IDX). */
export const IMA_PCR = 10;
/** Template name length limit of the kernel (TCG_EVENT_NAME_LEN_MAX). */
export const IMA_TEMPLATE_NAME_MAX = 255;
/** Name length limit of the legacy "ima" template (IMA_EVENT_NAME_LEN_MAX). */
export const IMA_EVENT_NAME_LEN_MAX = 255;
const LEGACY_DIGEST_SIZE = 20;

/** One measurement list entry. `fields` hold the field data exactly as the kernel keeps and hashes it. */
export interface ImaEntry {
  pcr: number;
  /** Template digest as logged (all zeros for a violation). */
  templateHash: Uint8Array;
  templateName: string;
  fields: Uint8Array[];
  /**
   * The binary template data as parsed (a view into the input, for templates other than "ima"): hashing it saves
   * re-encoding the fields. Builders and decoders that change `fields` must drop it.
   */
  raw?: Uint8Array;
  /** 1-based line of an ASCII list, for error reports. */
  line?: number;
  /** Offset of the record in a binary list. */
  offset?: number;
}

/** The decoded meaning of an entry of a known template. */
export interface ImaEvent {
  /** The d-ng/d-ngv2 prefix without the colon: `sha256`, `ima:sha256`; `sha1` for the legacy "ima" template. */
  digestPrefix: string;
  /** The file-hash algorithm (last component of the prefix). */
  digestAlg: string;
  digest: Uint8Array;
  /** The name bytes without the NUL. */
  name: Uint8Array;
  /** The name as text (invalid UTF-8 replaced), for display and policy lookup. */
  path: string;
  sig?: Uint8Array;
  buf?: Uint8Array;
}

export interface ImaParseOptions {
  /** Algorithm of the logged template digests: sha1 for the legacy lists. ASCII: inferred from the length. */
  templateHashAlg?: HashName;
  /** Maximum number of entries (LimitError beyond), so an endless log is cut off. Default 2,000,000. */
  maxEntries?: number;
  /** Maximum template data length of one entry. Default 256 KiB. */
  maxEntrySize?: number;
}

const DEFAULTS = { maxEntries: 2_000_000, maxEntrySize: 256 * 1024 };
const NUL = 0;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const COLON = 0x3a;
const textDecoder = new TextDecoder('utf-8');
const latin = new TextDecoder('latin1');
const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------------------------
// Field codecs

/** d-ng field data: prefix ":" NUL digest. */
export function digestAlgoField(prefix: string, d: Uint8Array): Uint8Array {
  const p = encoder.encode(prefix);
  const out = new Uint8Array(p.byteLength + 2 + d.byteLength);
  out.set(p, 0);
  out[p.byteLength] = COLON;
  out[p.byteLength + 1] = NUL;
  out.set(d, p.byteLength + 2);
  return out;
}

/** n-ng / n field data: name bytes + NUL. */
export function nameField(name: Uint8Array | string): Uint8Array {
  const b = typeof name === 'string' ? encoder.encode(name) : name;
  const out = new Uint8Array(b.byteLength + 1);
  out.set(b, 0);
  return out;
}

function splitDigestAlgo(field: Uint8Array, path: string): { prefix: string; digest: Uint8Array } {
  // The prefix ends at the first NUL, which must follow a colon (`algo:` NUL digest).
  const r = new Reader(field, path);
  const nul = field.indexOf(NUL);
  if (nul < 1 || field.lastIndexOf(COLON, nul) !== nul - 1) r.fail('', 'digest field without "algo:" NUL prefix');
  const prefix = latin.decode(r.bytes(nul - 1, 'algo'));
  r.skip(2, 'separator');
  return { prefix, digest: r.rest('digest') };
}

function splitName(field: Uint8Array, path: string): Uint8Array {
  const r = new Reader(field, path);
  if (field.byteLength === 0) r.fail('', 'name without NUL terminator');
  const body = r.bytes(field.byteLength - 1, 'name');
  if (r.u8('nul') !== NUL) r.fail('nul', 'name without NUL terminator', field.byteLength - 1);
  if (body.includes(NUL)) r.fail('name', 'NUL inside a name');
  return body;
}

/** The fields of a known template, checked; throws ParseError for unknown templates or wrong field counts. */
function templateFields(name: string, where: string): readonly string[] {
  const ids = IMA_TEMPLATES[name];
  if (!ids) throw new ParseError(`unknown template '${name}'`, 0, where);
  return ids;
}

/** Decodes the fields of an entry of a known template; undefined for templates we do not know. */
export function decodeEvent(e: ImaEntry): ImaEvent | undefined {
  const ids = IMA_TEMPLATES[e.templateName];
  if (!ids || ids.length !== e.fields.length) return undefined;
  let digestPrefix = '';
  let dig: Uint8Array = new Uint8Array(0);
  let name: Uint8Array = new Uint8Array(0);
  const ev: Partial<ImaEvent> = {};
  ids.forEach((id, i) => {
    const f = e.fields[i]!;
    const where = `ima.entry.${id}`;
    switch (id) {
      case 'd':
        digestPrefix = 'sha1';
        dig = f;
        break;
      case 'n':
      case 'n-ng':
        name = splitName(f, where);
        break;
      case 'd-ng':
      case 'd-ngv2': {
        const s = splitDigestAlgo(f, where);
        digestPrefix = s.prefix;
        dig = s.digest;
        break;
      }
      case 'sig':
        ev.sig = f;
        break;
      case 'buf':
        ev.buf = f;
        break;
      default:
        break;
    }
  });
  const alg = digestPrefix.slice(digestPrefix.lastIndexOf(':') + 1);
  return { ...ev, digestPrefix, digestAlg: alg, digest: dig, name, path: textDecoder.decode(name) };
}

/** Checks that every field of a known template is well formed (throws ParseError naming the field). */
function checkFields(name: string, fields: Uint8Array[], where: string): void {
  const ids = IMA_TEMPLATES[name];
  if (!ids) return;
  if (ids.length !== fields.length) {
    throw new ParseError(`template ${name} has ${ids.length} fields, found ${fields.length}`, 0, where);
  }
  for (let i = 0; i < ids.length; i++) {
    const f = fields[i]!;
    const kind = FIELD_KIND[ids[i]!];
    // Cheap checks first; the Reader-based split runs only to produce the precise error.
    if (kind === 'name' || kind === 'legacy-name') {
      if (f.byteLength === 0 || f.indexOf(NUL) !== f.byteLength - 1) splitName(f, `${where}.${ids[i]}`);
    } else if (kind === 'digest-algo' && f.byteLength > 0) {
      const nul = f.indexOf(NUL);
      if (nul < 1 || f.lastIndexOf(COLON, nul) !== nul - 1) splitDigestAlgo(f, `${where}.${ids[i]}`);
    } else if (kind === 'digest' && f.byteLength !== LEGACY_DIGEST_SIZE) {
      throw new ParseError(`legacy digest has ${f.byteLength} bytes, needs ${LEGACY_DIGEST_SIZE}`, 0, `${where}.d`);
    }
  }
  if (name === 'ima' && fields[1]!.byteLength - 1 > IMA_EVENT_NAME_LEN_MAX) {
    throw new ParseError(`name longer than ${IMA_EVENT_NAME_LEN_MAX} bytes`, 0, `${where}.n`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Template data and template hash

/** The binary template data (le32 length + data per field), as in the binary list and as hashed. */
export function templateData(e: Pick<ImaEntry, 'fields'>): Uint8Array {
  let n = 0;
  for (const f of e.fields) n += 4 + f.byteLength;
  const w = new Writer(n);
  for (const f of e.fields) w.u32le(f.byteLength).bytes(f);
  return w.finish();
}

/** The bytes whose hash is the template hash (see the header comment). */
export function templateHashInput(e: Pick<ImaEntry, 'fields' | 'templateName' | 'raw'>): Uint8Array {
  if (e.templateName !== 'ima') return e.raw ?? templateData(e);
  const d = e.fields[0] ?? new Uint8Array(0);
  const n = e.fields[1] ?? new Uint8Array(0);
  if (n.byteLength > IMA_EVENT_NAME_LEN_MAX + 1) {
    throw new ParseError(`name longer than ${IMA_EVENT_NAME_LEN_MAX} bytes`, 0, 'ima.entry.n');
  }
  const padded = new Uint8Array(IMA_EVENT_NAME_LEN_MAX + 1);
  padded.set(n, 0);
  return concat(d, padded);
}

/** The template hash the kernel computes for `alg` (it computes one per PCR bank since Linux 5.8). */
export function templateHash(e: Pick<ImaEntry, 'fields' | 'templateName' | 'raw'>, alg: HashName): Uint8Array {
  return digest(alg, templateHashInput(e));
}

/** True for a measurement violation: the logged template digest is all zeros. */
export function isViolation(e: Pick<ImaEntry, 'templateHash'>): boolean {
  for (const b of e.templateHash) if (b !== 0) return false;
  return true;
}

export interface ImaMismatch {
  /** 0-based entry number. */
  index: number;
  line?: number;
  offset?: number;
  path: string;
  logged: string;
  computed: string;
}

/**
 * Recomputes every entry's template hash with `alg` (the algorithm of the logged digests) and reports **every**
 * mismatch. Violations (all-zero digests) are not checked: their template data is not what was hashed.
 */
export function checkTemplateHashes(entries: readonly ImaEntry[], alg: HashName): ImaMismatch[] {
  const out: ImaMismatch[] = [];
  entries.forEach((e, index) => {
    if (isViolation(e)) return;
    const computed = templateHash(e, alg);
    if (!equal(computed, e.templateHash)) {
      let path: string;
      try {
        path = decodeEvent(e)?.path ?? '';
      } catch {
        path = '';
      }
      out.push({
        index,
        ...(e.line === undefined ? {} : { line: e.line }),
        ...(e.offset === undefined ? {} : { offset: e.offset }),
        path,
        logged: toHex(e.templateHash),
        computed: toHex(computed),
      });
    }
  });
  return out;
}

/** Like checkTemplateHashes, but throws one VerifyError listing every mismatch (with entry and line numbers). */
export function verifyTemplateHashes(entries: readonly ImaEntry[], alg: HashName): void {
  const bad = checkTemplateHashes(entries, alg);
  if (bad.length === 0) return;
  const list = bad
    .slice(0, 20)
    .map((m) => `entry ${m.index}${m.line === undefined ? '' : ` (line ${m.line})`} ${m.path}`)
    .join('; ');
  throw new VerifyError('ima template hash', `${bad.length} mismatches: ${list}${bad.length > 20 ? '; …' : ''}`);
}

/**
 * The boot_aggregate digest (ima_calc_boot_aggregate_tfm): H(PCR0 ‖ … ‖ PCR7), plus PCR8 ‖ PCR9 for banks other
 * than SHA-1 (Linux ≥ 5.8). `pcrs` gives the bank's values.
 */
export function bootAggregate(pcrs: ReadonlyMap<number, Uint8Array>, alg: HashName): Uint8Array {
  const last = alg === 'sha1' ? 7 : 9;
  const size = DIGEST_SIZE[alg];
  const parts: Uint8Array[] = [];
  for (let i = 0; i <= last; i++) parts.push(pcrs.get(i) ?? new Uint8Array(size));
  return digest(alg, concat(...parts));
}

// ---------------------------------------------------------------------------------------------------------------
// Binary list

function limits(o: ImaParseOptions): Required<ImaParseOptions> {
  return {
    templateHashAlg: o.templateHashAlg ?? 'sha1',
    maxEntries: o.maxEntries ?? DEFAULTS.maxEntries,
    maxEntrySize: o.maxEntrySize ?? DEFAULTS.maxEntrySize,
  };
}

/**
 * Parses a binary runtime measurement list. Template digests and fields are views into `bytes` (no copies, so
 * long lists parse without allocating buffers): do not mutate `bytes` while the entries live.
 */
export function parseImaBinary(bytes: Uint8Array, opts: ImaParseOptions = {}): ImaEntry[] {
  const o = limits(opts);
  const hashSize = DIGEST_SIZE[o.templateHashAlg];
  const out: ImaEntry[] = [];
  // One reader for the whole list (field names stay constant strings on the hot path); a ParseError is re-labelled
  // with the entry number on the way out.
  const r = new Reader(bytes, 'ima');
  let lastName: Uint8Array = new Uint8Array(0);
  let templateName = '';
  try {
    while (!r.done) {
      if (out.length >= o.maxEntries) throw new LimitError('ima.maxEntries', `more than ${o.maxEntries} entries`);
      const offset = r.offset;
      const pcr = r.u32le('pcr');
      const templateHash = r.bytes(hashSize, 'templateHash');
      const nameLen = r.u32le('templateNameLength');
      if (nameLen === 0 || nameLen > IMA_TEMPLATE_NAME_MAX) r.fail('templateNameLength', `invalid length ${nameLen}`);
      const nameBytes = r.bytes(nameLen, 'templateName');
      // Template names repeat: decode only when the name differs from the previous entry's.
      if (!equal(nameBytes, lastName)) {
        lastName = nameBytes;
        templateName = latin.decode(nameBytes);
      }
      let fields: Uint8Array[];
      let raw: Uint8Array | undefined;
      if (templateName === 'ima') {
        const d = r.bytes(LEGACY_DIGEST_SIZE, 'd');
        const len = r.u32le('n.length');
        if (len > IMA_EVENT_NAME_LEN_MAX) r.fail('n.length', `name longer than ${IMA_EVENT_NAME_LEN_MAX} bytes`);
        fields = [d, nameField(r.bytes(len, 'n'))];
      } else {
        const len = r.u32le('templateDataLength');
        if (len > o.maxEntrySize) {
          throw new LimitError('ima.maxEntrySize', `entry ${out.length}: template data of ${len} bytes`);
        }
        if (len > r.remaining) r.fail('templateDataLength', `needs ${len} bytes, ${r.remaining} left`);
        const start = r.offset;
        const end = start + len;
        fields = [];
        while (r.offset < end) {
          const fl = r.u32le('templateData.field.length');
          if (fl > end - r.offset)
            r.fail('templateData.field.length', `field of ${fl} bytes overruns the template data`);
          fields.push(r.bytes(fl, 'templateData.field'));
        }
        if (r.offset !== end) r.fail('templateData', 'field length overruns the template data', start);
        raw = bytes.subarray(start, end);
      }
      checkFields(templateName, fields, 'entry');
      out.push(
        raw
          ? { pcr, templateHash, templateName, fields, raw, offset }
          : { pcr, templateHash, templateName, fields, offset },
      );
    }
  } catch (e) {
    if (e instanceof ParseError) {
      const field = e.field.replace(/^(ima\.|entry\.?)/, '');
      throw new ParseError(
        e.message.slice(e.message.indexOf(': ') + 2),
        e.offset,
        `ima.entry[${out.length}]${field ? `.${field}` : ''}`,
        { cause: e },
      );
    }
    throw e;
  }
  return out;
}

/**
 * One record of a binary list, as offsets into the input (`scanImaBinary`). The same object is handed to every
 * callback and changed in place: copy what you keep.
 */
export interface ImaRecord {
  /** 0-based entry number. */
  index: number;
  /** Offsets of the record in the input: [offset, end). */
  offset: number;
  end: number;
  pcr: number;
  /** Offset of the logged template digest (its size is that of `templateHashAlg`). */
  templateHashStart: number;
  templateName: string;
  /**
   * The binary template data [dataStart, dataEnd), i.e. what the template hash covers, for every template but the
   * legacy "ima" (whose hash input is `templateHashInput` of the parsed entry).
   */
  dataStart: number;
  dataEnd: number;
}

/**
 * Walks a binary list without building entries: the same framing and field checks as `parseImaBinary`, one
 * callback per record with offsets (no per-entry allocation), for replaying lists of millions of entries. On any
 * malformed record it throws exactly the error `parseImaBinary` throws. Returns the number of records.
 */
export function scanImaBinary(
  bytes: Uint8Array,
  opts: ImaParseOptions,
  visit: (r: Readonly<ImaRecord>) => void,
): number {
  const o = limits(opts);
  const hashSize = DIGEST_SIZE[o.templateHashAlg];
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(bytes, 'ima');
  const rec: ImaRecord = {
    index: 0,
    offset: 0,
    end: 0,
    pcr: 0,
    templateHashStart: 0,
    templateName: '',
    dataStart: 0,
    dataEnd: 0,
  };
  let kinds: readonly (ImaFieldKind | undefined)[] | undefined;
  // Offsets of the fields of the current record (start, end pairs); reused.
  const spans: number[] = [];
  const bad = (): never => {
    parseImaBinary(bytes, opts); // throws the precise, labelled error
    throw new ParseError(`malformed entry ${rec.index}`, rec.offset, `ima.entry[${rec.index}]`);
  };
  try {
    while (!r.done) {
      if (rec.index >= o.maxEntries) throw new LimitError('ima.maxEntries', `more than ${o.maxEntries} entries`);
      rec.offset = r.offset;
      rec.pcr = r.u32le('pcr');
      rec.templateHashStart = r.offset;
      r.skip(hashSize, 'templateHash');
      const nameLen = r.u32le('templateNameLength');
      if (nameLen === 0 || nameLen > IMA_TEMPLATE_NAME_MAX) r.fail('templateNameLength', `invalid length ${nameLen}`);
      const nameStart = r.offset;
      r.skip(nameLen, 'templateName');
      const name = b.toString('latin1', nameStart, nameStart + nameLen);
      if (name !== rec.templateName) {
        rec.templateName = name;
        kinds = IMA_TEMPLATES[name]?.map((id) => FIELD_KIND[id]);
      }
      spans.length = 0;
      if (name === 'ima') {
        rec.dataStart = r.offset;
        r.skip(LEGACY_DIGEST_SIZE, 'd');
        const len = r.u32le('n.length');
        if (len > IMA_EVENT_NAME_LEN_MAX) r.fail('n.length', `name longer than ${IMA_EVENT_NAME_LEN_MAX} bytes`);
        const ns = r.offset;
        r.skip(len, 'n');
        rec.dataEnd = r.offset;
        const nul = b.indexOf(NUL, ns);
        if (nul >= 0 && nul < rec.dataEnd) bad();
      } else {
        const len = r.u32le('templateDataLength');
        if (len > o.maxEntrySize) {
          throw new LimitError('ima.maxEntrySize', `entry ${rec.index}: template data of ${len} bytes`);
        }
        if (len > r.remaining) r.fail('templateDataLength', `needs ${len} bytes, ${r.remaining} left`);
        rec.dataStart = r.offset;
        rec.dataEnd = rec.dataStart + len;
        while (r.offset < rec.dataEnd) {
          const fl = r.u32le('templateData.field.length');
          if (fl > rec.dataEnd - r.offset)
            r.fail('templateData.field.length', `field of ${fl} bytes overruns the template data`);
          spans.push(r.offset, r.offset + fl);
          r.skip(fl, 'templateData.field');
        }
        if (r.offset !== rec.dataEnd) r.fail('templateData', 'field length overruns the template data', rec.dataStart);
        // The field checks of checkFields, on offsets (Buffer searches instead of views).
        if (kinds) {
          if (kinds.length !== spans.length / 2) bad();
          for (let i = 0; i < kinds.length; i++) {
            const fs = spans[2 * i]!;
            const fe = spans[2 * i + 1]!;
            const kind = kinds[i];
            if (kind === 'name' || kind === 'legacy-name') {
              if (fe === fs || b.indexOf(NUL, fs) !== fe - 1) bad();
            } else if (kind === 'digest-algo' && fe > fs) {
              const nul = b.indexOf(NUL, fs);
              if (nul < fs + 1 || nul >= fe || b.lastIndexOf(COLON, nul) !== nul - 1) bad();
            } else if (kind === 'digest' && fe - fs !== LEGACY_DIGEST_SIZE) bad();
          }
        }
      }
      rec.end = r.offset;
      visit(rec);
      rec.index++;
    }
  } catch (e) {
    if (e instanceof ParseError && !e.field.startsWith('ima.entry[')) {
      const field = e.field.replace(/^(ima\.|entry\.?)/, '');
      throw new ParseError(
        e.message.slice(e.message.indexOf(': ') + 2),
        e.offset,
        `ima.entry[${rec.index}]${field ? `.${field}` : ''}`,
        { cause: e },
      );
    }
    throw e;
  }
  return rec.index;
}

/** Encodes entries as a binary list (template digests as given). */
export function encodeImaBinary(entries: readonly ImaEntry[]): Uint8Array {
  const w = new Writer(entries.length * 128);
  for (const e of entries) {
    const name = encoder.encode(e.templateName);
    w.u32le(e.pcr).bytes(e.templateHash).u32le(name.byteLength).bytes(name);
    if (e.templateName === 'ima') {
      const n = e.fields[1] ?? nameField('');
      w.bytes(e.fields[0] ?? new Uint8Array(LEGACY_DIGEST_SIZE));
      w.u32le(n.byteLength - 1).bytes(n.subarray(0, n.byteLength - 1));
    } else {
      const td = templateData(e);
      w.u32le(td.byteLength).bytes(td);
    }
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// ASCII list

function isHex(b: Uint8Array): boolean {
  for (const c of b) {
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return b.byteLength % 2 === 0;
}

function hexBytes(b: Uint8Array, where: string, offset: number): Uint8Array {
  if (!isHex(b)) throw new ParseError('not an even-length hex string', offset, where);
  return new Uint8Array(Buffer.from(latin.decode(b), 'hex'));
}

const HASH_BY_HEX_LEN: Readonly<Record<number, HashName>> = { 40: 'sha1', 64: 'sha256', 96: 'sha384', 128: 'sha512' };

/** Parses field text of kind `kind` into the kernel's field data. */
function asciiField(kind: ImaFieldKind, text: Uint8Array, where: string, offset: number): Uint8Array {
  switch (kind) {
    case 'digest':
      return hexBytes(text, where, offset);
    case 'hex':
      return text.byteLength === 0 ? new Uint8Array(0) : hexBytes(text, where, offset);
    case 'digest-algo': {
      if (text.byteLength === 0) return new Uint8Array(0);
      const colon = text.lastIndexOf(COLON);
      const prefix = colon < 0 ? '' : latin.decode(text.subarray(0, colon));
      return digestAlgoField(prefix, hexBytes(text.subarray(colon + 1), where, offset + colon + 1));
    }
    case 'name':
    case 'legacy-name':
      if (text.includes(NUL)) throw new ParseError('NUL inside a name', offset, where);
      return nameField(text);
  }
}

function asciiShow(kind: ImaFieldKind, f: Uint8Array): Uint8Array {
  switch (kind) {
    case 'digest':
    case 'hex':
      return encoder.encode(toHex(f));
    case 'digest-algo': {
      if (f.byteLength === 0) return f;
      const { prefix, digest: d } = splitDigestAlgo(f, 'ima.field');
      return encoder.encode(`${prefix ? `${prefix}:` : ''}${toHex(d)}`);
    }
    case 'name':
    case 'legacy-name':
      return f.subarray(0, Math.max(0, f.byteLength - 1));
  }
}

/**
 * Parses an ASCII runtime measurement list. The name field is the only one that may contain spaces: fields before
 * it are split from the left, fields after it from the right.
 */
export function parseImaAscii(bytes: Uint8Array, opts: ImaParseOptions = {}): ImaEntry[] {
  const o = limits(opts);
  const out: ImaEntry[] = [];
  let pos = 0;
  let lineNo = 0;
  let hashAlg: HashName | undefined = opts.templateHashAlg;
  while (pos < bytes.byteLength) {
    lineNo++;
    if (out.length >= o.maxEntries) throw new LimitError('ima.maxEntries', `more than ${o.maxEntries} entries`);
    let end = bytes.indexOf(NEWLINE, pos);
    if (end < 0) end = bytes.byteLength;
    const where = `ima.line[${lineNo}]`;
    if (end - pos > o.maxEntrySize) throw new LimitError('ima.maxEntrySize', `line ${lineNo}: ${end - pos} bytes`);
    const line = bytes.subarray(pos, end);
    const base = pos;
    pos = end + 1;
    const fail = (msg: string, at = 0): never => {
      throw new ParseError(`${msg} (line ${lineNo})`, base + at, where);
    };
    // PCR (%2d: right-aligned), template digest, template name.
    let p = 0;
    while (p < line.byteLength && line[p] === SPACE) p++;
    const tok = (what: string): [Uint8Array, number] => {
      const s = line.indexOf(SPACE, p);
      if (s < 0) fail(`missing ${what}`, p);
      const t = line.subarray(p, s);
      const at = p;
      p = s + 1;
      return [t, at];
    };
    const [pcrText, pcrAt] = tok('PCR');
    if (pcrText.byteLength === 0 || pcrText.byteLength > 10 || !pcrText.every((c) => c >= 0x30 && c <= 0x39)) {
      fail('invalid PCR index', pcrAt);
    }
    const pcr = Number(latin.decode(pcrText));
    if (pcr > 0xffffffff) fail('PCR index out of range', pcrAt);
    const [hashText, hashAt] = tok('template digest');
    const alg: HashName =
      hashAlg ??
      HASH_BY_HEX_LEN[hashText.byteLength] ??
      fail(`template digest of ${hashText.byteLength / 2} bytes`, hashAt);
    hashAlg = alg;
    if (hashText.byteLength !== 2 * DIGEST_SIZE[alg]) fail(`template digest is not ${alg}`, hashAt);
    const templateHash = hexBytes(hashText, `${where}.templateHash`, base + hashAt);
    const [nameText, nameAt] = tok('template name');
    const templateName = latin.decode(nameText);
    let ids: readonly string[];
    try {
      ids = templateFields(templateName, where);
    } catch {
      return fail(`unknown template '${templateName}'`, nameAt);
    }
    const nameIdx = ids.findIndex((id) => FIELD_KIND[id] === 'name' || FIELD_KIND[id] === 'legacy-name');
    const fields: Uint8Array[] = new Array<Uint8Array>(ids.length);
    for (let i = 0; i < nameIdx; i++) {
      const [t, at] = tok(ids[i]!);
      fields[i] = asciiField(FIELD_KIND[ids[i]!]!, t, `${where}.${ids[i]}`, base + at);
    }
    let q = line.byteLength;
    for (let i = ids.length - 1; i > nameIdx; i--) {
      const s = line.lastIndexOf(SPACE, q - 1);
      if (s < p) fail(`missing field ${ids[i]}`, q);
      fields[i] = asciiField(FIELD_KIND[ids[i]!]!, line.subarray(s + 1, q), `${where}.${ids[i]}`, base + s + 1);
      q = s;
    }
    if (q < p) fail('missing name', q);
    fields[nameIdx] = asciiField(FIELD_KIND[ids[nameIdx]!]!, line.subarray(p, q), `${where}.name`, base + p);
    checkFields(templateName, fields, where);
    out.push({ pcr, templateHash, templateName, fields, line: lineNo });
  }
  return out;
}

/** Encodes entries as the kernel's ASCII list. */
export function encodeImaAscii(entries: readonly ImaEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const ids = templateFields(e.templateName, 'ima.entry');
    parts.push(encoder.encode(`${String(e.pcr).padStart(2, ' ')} ${toHex(e.templateHash)} ${e.templateName}`));
    ids.forEach((id, i) => {
      parts.push(encoder.encode(' '));
      parts.push(asciiShow(FIELD_KIND[id]!, e.fields[i] ?? new Uint8Array(0)));
    });
    parts.push(encoder.encode('\n'));
  }
  return concat(...parts);
}

/** Parses either form: ASCII lists start with a digit or a space (the `%2d` PCR), binary ones with a le32. */
export function parseIma(bytes: Uint8Array, opts: ImaParseOptions = {}): ImaEntry[] {
  const first = bytes[0];
  const ascii = first !== undefined && (first === SPACE || (first >= 0x30 && first <= 0x39));
  return ascii ? parseImaAscii(bytes, opts) : parseImaBinary(bytes, opts);
}
