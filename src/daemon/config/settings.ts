/**
 * The strongSwan settings syntax (strongswan.conf(5), swanctl.conf(5)), as strongSwan's flex/bison
 * `settings_parser` implements it (src/libstrongswan/settings/settings_lexer.l, settings_parser.y, settings_types.c,
 * settings.c). The facts this file follows:
 *
 * - A name (key or section) is a run of any characters except `# { } : . , = "`, space, tab, CR and LF.
 * - `name {` opens a section, `}` closes it; newlines between tokens do not matter outside values.
 * - `name : ref1, ref2 {` opens a section that inherits keys and subsections from the sections at the absolute
 *   dotted paths `ref1`, `ref2` (its own definitions win; references are followed recursively).
 * - `name = value` takes the value up to the end of the line, a `#` or a `}`. Whitespace-separated parts are joined
 *   with one space; `"quoted"` parts keep their spaces, may span lines, and know the escapes `\n \r \t`,
 *   backslash-newline (line continuation) and `\x` for any other x. CR characters are dropped.
 * - `name =` with nothing after it stores "no value", which hides an earlier or inherited value.
 * - `#` starts a comment to the end of the line (outside quoted strings; for a CR inside a comment see
 *   skipBlankOrComment).
 * - `include pattern` (not followed by `=`) reads the files matching the glob pattern, sorted, relative to the
 *   directory of the including file, as if their text stood there; a pattern matching nothing is silently ignored.
 *   The pattern ends at a blank, `#` or `}`; it may be quoted, and `\"`, `\#`, `\}`, `\ ` escape those characters.
 *
 * Checked against libstrongswan itself: test/unit/daemon/config/strongswan-settings-differential.test.ts loads the
 * same inputs through strongSwan's settings_t and compares accept/reject and the resolved tree.
 * - A key defined twice keeps its first position and takes the later value; a section defined twice is merged.
 *   Keys and sections live in separate name spaces (a key and a section may share a name).
 * - Several `key = value` on one line are not several settings: the value runs to the end of the line.
 */
import { readFileSync, globSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from '../../common/errors.ts';

/** A place in a configuration file (1-based line and column). */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/** A parsed (and reference-resolved) section. Maps keep the order of first definition. */
export interface SettingsSection {
  readonly name: string;
  /** Dotted path from the root (`''` for the root). */
  readonly path: string;
  readonly values: Map<string, string>;
  readonly sections: Map<string, SettingsSection>;
  /** Where each key in `values` was last defined. */
  readonly where: Map<string, SourcePos>;
  /** Where the section was first opened (undefined for the root). */
  readonly at: SourcePos | undefined;
}

export interface ParseSettingsOptions {
  /** Name used in messages and as the base of relative includes; without it, includes are relative to the cwd. */
  file?: string;
  /** Reads an included file (UTF-8). Default: fs.readFileSync. */
  readFile?: (path: string) => string;
  /** Expands an include pattern to file paths. Default: fs.globSync for patterns with wildcards, else the path. */
  glob?: (pattern: string) => string[];
  /** Nesting limit of includes (strongSwan has none; a file including itself would never end). Default 16. */
  maxIncludeDepth?: number;
}

export const formatPos = (p: SourcePos): string => `${p.file}:${p.line}:${p.column}`;

// ---------------------------------------------------------------------------------------------------------------
// Lexer

type Token =
  | { kind: 'name'; text: string; at: SourcePos }
  | { kind: 'ref'; text: string; at: SourcePos }
  | { kind: '{' | '}' | '=' | ':' | ',' | '.'; at: SourcePos }
  /** The value after `=`; null when nothing followed it. */
  | { kind: 'value'; value: string | null; at: SourcePos }
  | { kind: 'eof'; at: SourcePos };

/** Characters that end a name (settings_lexer.l: NAME [^#{}:.,="\r\n\t ]). */
const NOT_NAME = new Set(['#', '{', '}', ':', '.', ',', '=', '"', '\r', '\n', '\t', ' ']);
const isNameChar = (c: string | undefined): c is string => c !== undefined && !NOT_NAME.has(c);
const hasWildcard = (p: string): boolean => /[*?[]/.test(p);

interface LexContext {
  readFile: (path: string) => string;
  glob: (pattern: string) => string[];
  maxDepth: number;
  out: Token[];
}

/** Scans one file's text, appending tokens; `include` recurses into the matching files. */
class Scanner {
  readonly #text: string;
  readonly #file: string;
  /** Real path of the file, for relative includes; undefined for strings. */
  readonly #path: string | undefined;
  readonly #depth: number;
  readonly #ctx: LexContext;
  #pos = 0;
  #line = 1;
  #col = 1;

  constructor(text: string, file: string, path: string | undefined, depth: number, ctx: LexContext) {
    this.#text = text;
    this.#file = file;
    this.#path = path;
    this.#depth = depth;
    this.#ctx = ctx;
  }

  #peek(n = 0): string | undefined {
    return this.#text[this.#pos + n];
  }

  #next(): string {
    const c = this.#text[this.#pos++] ?? '';
    if (c === '\n') {
      this.#line++;
      this.#col = 1;
    } else this.#col++;
    return c;
  }

  #here(): SourcePos {
    return { file: this.#file, line: this.#line, column: this.#col };
  }

  #fail(message: string, at: SourcePos = this.#here()): never {
    throw new ConfigError(`${formatPos(at)}: ${message}`);
  }

  /**
   * Skips blanks and comments (INITIAL and `ref` states). Three flex rules compete, the longest match winning:
   * `[\t\r ]+` (blanks), `[\t ]*#[^\r\n]*` (a comment with the blanks before it, ending at CR or LF) and `#.*\n`
   * (a comment starting right here, ending at the next LF, across CRs). So a comment that follows a space or tab
   * ends at a CR, and one the scanner meets directly (line start, after a CR or a value) runs to the LF.
   * Returns false if the current character is none of these.
   */
  #skipBlankOrComment(): boolean {
    const c = this.#peek();
    if (c === '#') {
      const lf = this.#text.indexOf('\n', this.#pos);
      while (this.#peek() !== undefined && this.#peek() !== '\n' && (lf >= 0 || this.#peek() !== '\r')) this.#next();
      return true;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      let j = this.#pos;
      while (this.#text[j] === ' ' || this.#text[j] === '\t') j++;
      if (this.#text[j] === '#') {
        while (this.#peek() !== undefined && this.#peek() !== '\n' && this.#peek() !== '\r') this.#next();
      } else {
        // the whole [\t\r ]+ run is one lexeme, so a `#` right after it is met directly
        while (this.#peek() === ' ' || this.#peek() === '\t' || this.#peek() === '\r') this.#next();
      }
      return true;
    }
    if (c === '\n') {
      this.#next();
      return true;
    }
    return false;
  }

  /** Scans to the end; returns the position after the last character. */
  run(): SourcePos {
    const out = this.#ctx.out;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) return this.#here();
      const at = this.#here();
      if (this.#skipBlankOrComment()) continue;
      if (c === '{' || c === '}' || c === '.' || c === ',') {
        this.#next();
        out.push({ kind: c, at });
      } else if (c === ':') {
        this.#next();
        out.push({ kind: ':', at });
        this.#references();
      } else if (c === '=') {
        this.#next();
        out.push({ kind: '=', at });
        out.push({ kind: 'value', value: this.#value(), at: this.#here() });
      } else if (c === '"') this.#fail('unexpected string (quotes are allowed in values only)');
      else if (this.#includeLength() > 0) this.#include(at, this.#includeLength());
      else {
        let text = '';
        while (isNameChar(this.#peek())) text += this.#next();
        out.push({ kind: 'name', text, at });
      }
    }
  }

  /**
   * Length of an `include` keyword with its blanks at the current position, 0 if there is none. The flex rule is
   * "include"[\t ]+/[^=] with the longest match: all blanks are consumed unless `=` follows them, in which case the
   * last blank is left as the trailing context (and then ends an empty pattern); a single blank before `=` or the
   * end makes `include` an ordinary name.
   */
  #includeLength(): number {
    if (!this.#text.startsWith('include', this.#pos)) return 0;
    let i = this.#pos + 7;
    while (this.#text[i] === ' ' || this.#text[i] === '\t') i++;
    const blanks = i - this.#pos - 7;
    if (blanks === 0) return 0;
    if (i < this.#text.length && this.#text[i] !== '=') return 7 + blanks;
    return blanks >= 2 ? 7 + blanks - 1 : 0;
  }

  /** After `:` — a comma-separated list of dotted section paths (the lexer's `ref` state). */
  #references(): void {
    for (;;) {
      const c = this.#peek();
      if (c === undefined) return;
      if (this.#skipBlankOrComment()) continue;
      if (c === ',') {
        this.#ctx.out.push({ kind: ',', at: this.#here() });
        this.#next();
      } else if (isNameChar(c)) {
        const at = this.#here();
        let text = '';
        for (;;) {
          while (isNameChar(this.#peek())) text += this.#next();
          if (this.#peek() === '.' && isNameChar(this.#peek(1))) text += this.#next();
          else break;
        }
        this.#ctx.out.push({ kind: 'ref', text, at });
      } else return;
    }
  }

  /** After `=` — parts up to end of line, `#` or `}` (the lexer's `val` state), joined by one space. */
  #value(): string | null {
    const parts: string[] = [];
    for (;;) {
      const c = this.#peek();
      if (c === undefined || c === '\n' || c === '#' || c === '}') break;
      if (c === ' ' || c === '\t' || c === '\r') this.#next();
      else if (c === '"') {
        const at = this.#here();
        this.#next();
        parts.push(this.#quoted(at));
      } else {
        let part = '';
        for (;;) {
          const d = this.#peek();
          if (
            d === undefined ||
            d === '#' ||
            d === '}' ||
            d === '"' ||
            d === '\r' ||
            d === '\n' ||
            d === '\t' ||
            d === ' '
          )
            break;
          part += this.#next();
        }
        parts.push(part);
      }
    }
    return parts.length ? parts.join(' ') : null;
  }

  /** Inside `"…"`, after the opening quote (the lexer's `str` state). */
  #quoted(start: SourcePos): string {
    let s = '';
    for (;;) {
      const c = this.#peek();
      if (c === undefined) this.#fail('unterminated string', start);
      this.#next();
      if (c === '"') return s;
      if (c === '\r') continue;
      if (c !== '\\') {
        s += c;
        continue;
      }
      const e = this.#peek();
      if (e === undefined) this.#fail('unterminated string', start);
      if (e === '\n') this.#next();
      else if (e === '\r' && this.#peek(1) === '\n') {
        this.#next();
        this.#next();
      } else {
        this.#next();
        s += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
      }
    }
  }

  /** `include pattern` (the lexer's `inc` state): the pattern ends at a blank, newline, `#`, `}` or a quoted part. */
  #include(at: SourcePos, length: number): void {
    for (let i = 0; i < length; i++) this.#next();
    let pattern = '';
    for (;;) {
      const c = this.#peek();
      if (c === undefined || c === '#' || c === '}' || c === '\n' || c === '\t' || c === ' ') break;
      if (c === '\r') this.#next();
      else if (c === '"') {
        const q = this.#here();
        this.#next();
        pattern += this.#quoted(q);
        break; // a quoted pattern ends the include
      } else if (
        c === '\\' &&
        (this.#peek(1) === '"' || this.#peek(1) === '#' || this.#peek(1) === '}' || this.#peek(1) === ' ')
      ) {
        this.#next();
        pattern += this.#next();
      } else pattern += this.#next();
    }
    if (!pattern) return; // "no include pattern specified, ignored"
    if (this.#depth >= this.#ctx.maxDepth) this.#fail(`includes nested deeper than ${this.#ctx.maxDepth}`, at);
    const full = isAbsolute(pattern) || this.#path === undefined ? pattern : join(dirname(this.#path), pattern);
    let matches: string[];
    try {
      matches = this.#ctx.glob(full);
    } catch (e) {
      this.#fail(`include ${pattern}: ${(e as Error).message}`, at);
    }
    for (const m of matches) {
      let text: string;
      try {
        text = this.#ctx.readFile(m);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR') continue; // strongSwan skips what it cannot open as a file
        this.#fail(`include ${m}: ${(e as Error).message}`, at);
      }
      new Scanner(text, m, m, this.#depth + 1, this.#ctx).run();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parser: builds raw sections (settings_types.c semantics), then resolves references.

interface RawValue {
  value: string | null;
  at: SourcePos;
}

interface RawSection {
  name: string;
  values: Map<string, RawValue>;
  sections: Map<string, RawSection>;
  refs: string[];
  at: SourcePos | undefined;
}

const rawSection = (name: string, at: SourcePos | undefined): RawSection => ({
  name,
  values: new Map(),
  sections: new Map(),
  refs: [],
  at,
});

const describe = (t: Token): string => {
  switch (t.kind) {
    case 'name':
      return `name '${t.text}'`;
    case 'ref':
      return `reference '${t.text}'`;
    case 'value':
      return 'value';
    case 'eof':
      return 'end of input';
    default:
      return `'${t.kind}'`;
  }
};

function parseTokens(tokens: Token[], root: RawSection): void {
  let i = 0;
  const peek = (): Token => tokens[i] ?? { kind: 'eof', at: root.at ?? { file: '?', line: 0, column: 0 } };
  const fail = (t: Token, message: string): never => {
    throw new ConfigError(`${formatPos(t.at)}: ${message}`);
  };
  const stack: { section: RawSection; open: SourcePos | undefined }[] = [{ section: root, open: undefined }];
  for (;;) {
    const t = peek();
    const top = stack[stack.length - 1]!;
    if (t.kind === 'eof') {
      if (top.open) fail(t, `missing '}' for section '${top.section.name}' opened at ${formatPos(top.open)}`);
      return;
    }
    i++;
    if (t.kind === '}') {
      if (!top.open) fail(t, `unexpected '}' (no section is open)`);
      stack.pop();
      continue;
    }
    if (t.kind !== 'name') fail(t, `unexpected ${describe(t)}, expected a key or section name`);
    const name = (t as { text: string }).text;
    const n = peek();
    i++;
    if (n.kind === '=') {
      const v = peek();
      i++;
      if (v.kind !== 'value') fail(v, `expected a value`);
      const value = (v as { value: string | null }).value;
      const old = top.section.values.get(name);
      if (old) {
        old.value = value;
        old.at = t.at;
      } else top.section.values.set(name, { value, at: t.at });
      continue;
    }
    const refs: string[] = [];
    if (n.kind === ':') {
      for (;;) {
        const r = peek();
        i++;
        if (r.kind !== 'ref') fail(r, `unexpected ${describe(r)}, expected the name of a section to inherit from`);
        refs.push((r as { text: string }).text);
        if (peek().kind !== ',') break;
        i++;
      }
      const b = peek();
      i++;
      if (b.kind !== '{') fail(b, `unexpected ${describe(b)}, expected '{' after the references of '${name}'`);
    } else if (n.kind === '.') {
      fail(n, `'.' is not allowed in names; write '${name} { … }' instead of a dotted key`);
    } else if (n.kind !== '{') {
      fail(n, `unexpected ${describe(n)} after '${name}', expected '=', '{' or ':'`);
    }
    let s = top.section.sections.get(name);
    if (!s) {
      s = rawSection(name, t.at);
      top.section.sections.set(name, s);
    }
    for (const r of refs) if (!s.refs.includes(r)) s.refs.push(r);
    stack.push({ section: s, open: t.at });
  }
}

/** Resolves section references into a plain tree, as settings.c's enumerators would present it. */
class Resolver {
  readonly #root: RawSection;
  #nodes = 0;
  #work = 0;
  static readonly MAX_DEPTH = 64;
  static readonly MAX_NODES = 100_000;
  /** Reference chains through intermediate path components can branch; bound the total effort. */
  static readonly MAX_WORK = 1_000_000;

  constructor(root: RawSection) {
    this.#root = root;
  }

  #tooDeep(s: RawSection): never {
    throw new ConfigError(
      `${s.at ? formatPos(s.at) + ': ' : ''}section references nest too deeply (a reference loop?) or expand too widely`,
    );
  }

  /** Adds the section and everything it references, recursively, to `into` (skipping what is there: no loops). */
  #expand(s: RawSection, into: RawSection[], depth: number): void {
    if (depth > Resolver.MAX_DEPTH || ++this.#work > Resolver.MAX_WORK) this.#tooDeep(s);
    if (into.includes(s)) return;
    into.push(s);
    for (const ref of s.refs) this.#lookup(ref, into, depth + 1);
  }

  /** Adds the raw sections that make up the absolute dotted path, references included, to `into`. */
  #lookup(path: string, into: RawSection[], depth: number): void {
    const parts = path.split('.');
    let current = [this.#root];
    for (const [i, part] of parts.entries()) {
      const next: RawSection[] = i === parts.length - 1 ? into : [];
      for (const s of current) {
        const c = s.sections.get(part);
        if (c) this.#expand(c, next, depth + 1);
      }
      current = next;
    }
  }

  resolve(): SettingsSection {
    const all: RawSection[] = [];
    this.#expand(this.#root, all, 0);
    return this.#build(all, '', '', undefined, 0);
  }

  #build(list: RawSection[], name: string, path: string, at: SourcePos | undefined, depth: number): SettingsSection {
    if (depth > Resolver.MAX_DEPTH || ++this.#nodes > Resolver.MAX_NODES) this.#tooDeep(list[0]!);
    const values = new Map<string, string>();
    const where = new Map<string, SourcePos>();
    const seen = new Set<string>();
    for (const s of list)
      for (const [k, v] of s.values) {
        if (seen.has(k)) continue;
        seen.add(k);
        if (v.value === null) continue; // `key =` hides inherited values
        values.set(k, v.value);
        where.set(k, v.at);
      }
    const sections = new Map<string, SettingsSection>();
    for (const s of list)
      for (const [n, first] of s.sections) {
        if (sections.has(n)) continue;
        const parts: RawSection[] = [];
        for (const o of list) {
          const c = o.sections.get(n);
          if (c) this.#expand(c, parts, 0);
        }
        sections.set(n, this.#build(parts, n, path ? `${path}.${n}` : n, first.at, depth + 1));
      }
    return { name, path, values, sections, where, at };
  }
}

const defaultGlob = (pattern: string): string[] => (hasWildcard(pattern) ? globSync(pattern).sort() : [pattern]);

/** Parses settings text (strongswan.conf/swanctl.conf syntax) into a reference-resolved tree. */
export function parseSettings(text: string, opts: ParseSettingsOptions = {}): SettingsSection {
  const file = opts.file ?? '<string>';
  const ctx: LexContext = {
    readFile: opts.readFile ?? ((p) => readFileSync(p, 'utf8')),
    glob: opts.glob ?? defaultGlob,
    maxDepth: opts.maxIncludeDepth ?? 16,
    out: [],
  };
  const end = new Scanner(text, file, opts.file, 0, ctx).run();
  const root = rawSection('', undefined);
  ctx.out.push({ kind: 'eof', at: end });
  parseTokens(ctx.out, root);
  return new Resolver(root).resolve();
}

/** Reads and parses a settings file. */
export function loadSettings(path: string, opts: Omit<ParseSettingsOptions, 'file'> = {}): SettingsSection {
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    throw new ConfigError(`${path}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  return parseSettings(text, { ...opts, file: path });
}

/** The section at a dotted path (`connections.home`), if any. */
export function getSection(root: SettingsSection, path: string): SettingsSection | undefined {
  let s: SettingsSection | undefined = root;
  for (const part of path.split('.')) {
    if (!part) continue;
    s = s?.sections.get(part);
  }
  return s;
}

/** The value at a dotted path (`connections.home.version`), if any. */
export function getValue(root: SettingsSection, path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  const s = dot < 0 ? root : getSection(root, path.slice(0, dot));
  return s?.values.get(path.slice(dot + 1));
}

const quote = (v: string): string =>
  '"' +
  v.replace(/[\\"\n\r\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : '\\' + c)) +
  '"';

/**
 * Writes a tree back in settings syntax, one `key = value` per line (values quoted when they need it), so that
 * parseSettings(formatSettings(t)) equals t. Names must be valid names (no `# { } : . , = "` or blanks).
 */
export function formatSettings(root: SettingsSection, indent = ''): string {
  const lines: string[] = [];
  for (const [k, v] of root.values) {
    const plain = v.length > 0 && /^[^#}"\s\\]+( [^#}"\s\\]+)*$/.test(v);
    lines.push(`${indent}${k} = ${plain ? v : quote(v)}`);
  }
  for (const [name, s] of root.sections) {
    // `include {` would be an include directive; without the blank it is the section name.
    lines.push(`${indent}${name}${name === 'include' ? '' : ' '}{`);
    const inner = formatSettings(s, indent + '  ');
    if (inner) lines.push(inner);
    lines.push(`${indent}}`);
  }
  return lines.join('\n');
}
