/**
 * File measurement manifests. Pure: parse and write, no I/O (tree.ts and cli.ts read and write the files).
 *
 * Text form, compatible with `sha256sum -c` for one algorithm:
 *
 *   # algorithm sha256
 *   <hex digest>  <path>
 *
 * Paths containing a newline or a backslash are escaped as coreutils does: the line starts with `\`, and `\n` and
 * `\\` stand for a newline and a backslash. A ` *` separator (binary mode) is accepted on input. Lines starting
 * with `#` are comments; the `# algorithm` header is optional when the digest length names the algorithm.
 *
 * JSON form: `{"version":1,"algorithms":["sha256",…],"files":{"<path>":{"sha256":"<hex>",…}},
 * "symlinks":{"<path>":"<target>"}}`.
 */
import { LimitError, ParseError } from '../common/errors.ts';
import { DIGEST_SIZE, isHashName, type HashName } from './hash.ts';

export interface Manifest {
  algorithms: HashName[];
  /** path → algorithm → lowercase hex digest. */
  files: Map<string, Partial<Record<HashName, string>>>;
  /** path → link target (JSON form only). */
  symlinks: Map<string, string>;
}

export interface ManifestLimits {
  maxFiles?: number;
  maxPathLength?: number;
}

const DEFAULT_LIMITS = { maxFiles: 10_000_000, maxPathLength: 4096 };
const HEX = /^[0-9a-f]+$/;
const BY_HEX_LEN: Readonly<Record<number, HashName>> = { 40: 'sha1', 64: 'sha256', 96: 'sha384', 128: 'sha512' };

export function emptyManifest(algorithms: HashName[]): Manifest {
  return { algorithms, files: new Map(), symlinks: new Map() };
}

function checkPath(p: string, l: Required<ManifestLimits>, where: string): void {
  if (p.length === 0) throw new ParseError('empty path', 0, where);
  if (p.length > l.maxPathLength) throw new LimitError('manifest.maxPathLength', `${where}: ${p.length} characters`);
}

// ---------------------------------------------------------------------------------------------------------------
// Text form

function escapePath(p: string): { escaped: boolean; text: string } {
  if (!p.includes('\n') && !p.includes('\\') && !p.includes('\r')) return { escaped: false, text: p };
  return { escaped: true, text: p.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r') };
}

function unescapePath(s: string, where: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === '\\') out += '\\';
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else throw new ParseError(`invalid escape \\${n ?? ''}`, i, where);
  }
  return out;
}

/** Writes the text form for one algorithm (default: the manifest's first), paths sorted. */
export function writeManifestText(m: Manifest, alg: HashName | undefined = m.algorithms[0]): string {
  if (!alg) throw new ParseError('manifest without algorithm', 0, 'manifest');
  const lines = [`# algorithm ${alg}`];
  for (const path of [...m.files.keys()].sort()) {
    const hex = m.files.get(path)?.[alg];
    if (hex === undefined) continue;
    const e = escapePath(path);
    lines.push(`${e.escaped ? '\\' : ''}${hex}  ${e.text}`);
  }
  return lines.join('\n') + '\n';
}

export function parseManifestText(text: string, limits: ManifestLimits = {}): Manifest {
  const l = { ...DEFAULT_LIMITS, ...limits };
  let alg: HashName | undefined;
  const files = new Map<string, Partial<Record<HashName, string>>>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const where = `manifest.line[${i + 1}]`;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s*algorithm\s+(\S+)\s*$/.exec(line);
      if (m) {
        const a = m[1]!.toLowerCase();
        if (!isHashName(a)) throw new ParseError(`unknown algorithm '${m[1]}'`, 0, where);
        if (alg && alg !== a) throw new ParseError('a text manifest holds one algorithm', 0, where);
        alg = a;
      }
      return;
    }
    const escaped = line.startsWith('\\');
    const body = escaped ? line.slice(1) : line;
    const sp = body.indexOf(' ');
    if (sp < 0 || (body[sp + 1] !== ' ' && body[sp + 1] !== '*')) {
      throw new ParseError('expected "<hex>  <path>"', 0, where);
    }
    const hex = body.slice(0, sp).toLowerCase();
    if (!HEX.test(hex)) throw new ParseError('digest is not hex', 0, where);
    if (!alg) {
      alg = BY_HEX_LEN[hex.length];
      if (!alg) throw new ParseError(`no algorithm for a ${hex.length / 2}-byte digest`, 0, where);
    }
    if (hex.length !== 2 * DIGEST_SIZE[alg]) throw new ParseError(`digest is not ${alg}`, 0, where);
    const path = escaped ? unescapePath(body.slice(sp + 2), where) : body.slice(sp + 2);
    checkPath(path, l, where);
    if (files.has(path)) throw new ParseError(`duplicate path ${JSON.stringify(path)}`, 0, where);
    if (files.size >= l.maxFiles) throw new LimitError('manifest.maxFiles', `more than ${l.maxFiles} files`);
    files.set(path, { [alg]: hex });
  });
  return { algorithms: alg ? [alg] : [], files, symlinks: new Map() };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON form

export function writeManifestJson(m: Manifest): string {
  const files: Record<string, Partial<Record<HashName, string>>> = {};
  for (const p of [...m.files.keys()].sort()) files[p] = m.files.get(p)!;
  const symlinks: Record<string, string> = {};
  for (const p of [...m.symlinks.keys()].sort()) symlinks[p] = m.symlinks.get(p)!;
  return JSON.stringify({ version: 1, algorithms: m.algorithms, files, symlinks }, null, 1) + '\n';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseManifestJson(text: string, limits: ManifestLimits = {}): Manifest {
  const l = { ...DEFAULT_LIMITS, ...limits };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ParseError('not JSON', 0, 'manifest', { cause: e });
  }
  if (!isRecord(v) || v.version !== 1) throw new ParseError('not a version 1 manifest', 0, 'manifest');
  const algs = v.algorithms;
  if (!Array.isArray(algs) || !algs.every((a): a is HashName => typeof a === 'string' && isHashName(a))) {
    throw new ParseError('invalid algorithms', 0, 'manifest.algorithms');
  }
  if (new Set(algs).size !== algs.length) throw new ParseError('duplicate algorithm', 0, 'manifest.algorithms');
  if (!isRecord(v.files)) throw new ParseError('files is not an object', 0, 'manifest.files');
  const files = new Map<string, Partial<Record<HashName, string>>>();
  for (const [path, d] of Object.entries(v.files)) {
    const where = `manifest.files[${JSON.stringify(path.slice(0, 100))}]`;
    checkPath(path, l, where);
    if (files.size >= l.maxFiles) throw new LimitError('manifest.maxFiles', `more than ${l.maxFiles} files`);
    if (!isRecord(d)) throw new ParseError('digests are not an object', 0, where);
    const digests: Partial<Record<HashName, string>> = {};
    for (const [a, hex] of Object.entries(d)) {
      if (!isHashName(a) || !algs.includes(a)) throw new ParseError(`algorithm '${a}' not declared`, 0, where);
      if (typeof hex !== 'string' || !HEX.test(hex) || hex.length !== 2 * DIGEST_SIZE[a]) {
        throw new ParseError(`invalid ${a} digest`, 0, where);
      }
      digests[a] = hex;
    }
    files.set(path, digests);
  }
  const symlinks = new Map<string, string>();
  if (v.symlinks !== undefined) {
    if (!isRecord(v.symlinks)) throw new ParseError('symlinks is not an object', 0, 'manifest.symlinks');
    for (const [path, target] of Object.entries(v.symlinks)) {
      checkPath(path, l, 'manifest.symlinks');
      if (typeof target !== 'string') throw new ParseError('link target is not a string', 0, 'manifest.symlinks');
      symlinks.set(path, target);
    }
  }
  return { algorithms: algs, files, symlinks };
}

/** Parses either form (JSON if the first non-blank character is `{`). */
export function parseManifest(text: string, limits: ManifestLimits = {}): Manifest {
  return text.trimStart().startsWith('{') ? parseManifestJson(text, limits) : parseManifestText(text, limits);
}

// ---------------------------------------------------------------------------------------------------------------
// Diff

export interface ManifestChange {
  path: string;
  algorithm: HashName;
  from: string;
  to: string;
}

export interface ManifestDiff {
  added: string[];
  removed: string[];
  /** One record per changed path and algorithm both manifests carry. */
  changed: ManifestChange[];
  /** Symlinks whose target differs, or that exist on one side only. */
  symlinks: { path: string; from: string | null; to: string | null }[];
}

/** Every difference from `a` to `b` (sorted by path), not the first. */
export function diffManifests(a: Manifest, b: Manifest): ManifestDiff {
  const common = a.algorithms.filter((x) => b.algorithms.includes(x));
  const added: string[] = [];
  const removed: string[] = [];
  const changed: ManifestChange[] = [];
  for (const [path, da] of a.files) {
    const db = b.files.get(path);
    if (!db) {
      removed.push(path);
      continue;
    }
    for (const alg of common) {
      const from = da[alg];
      const to = db[alg];
      if (from !== undefined && to !== undefined && from !== to) changed.push({ path, algorithm: alg, from, to });
    }
  }
  for (const path of b.files.keys()) if (!a.files.has(path)) added.push(path);
  const symlinks: ManifestDiff['symlinks'] = [];
  for (const path of new Set([...a.symlinks.keys(), ...b.symlinks.keys()])) {
    const from = a.symlinks.get(path) ?? null;
    const to = b.symlinks.get(path) ?? null;
    if (from !== to) symlinks.push({ path, from, to });
  }
  const byPath = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  added.sort(byPath);
  removed.sort(byPath);
  changed.sort((x, y) => byPath(x.path, y.path));
  symlinks.sort((x, y) => byPath(x.path, y.path));
  return { added, removed, changed, symlinks };
}

export function isEmptyDiff(d: ManifestDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length && !d.symlinks.length;
}
