/**
 * Debian control-file stanzas (deb822) as dpkg keeps them in /var/lib/dpkg/status and as a Debian archive publishes
 * them in `dists/<suite>/<component>/binary-<arch>/Packages`: `Field: value` lines, continuation lines starting
 * with a space or tab, stanzas separated by blank lines (Debian Policy §5.1). Pure: text in, rows out.
 *
 * From the status file only packages whose `Status` ends in `installed` count (not half-installed, config-files or
 * not-installed); a Packages file has no Status and every stanza counts.
 */
import { LimitError, ParseError } from '../../common/errors.ts';
import type { PackageVersionRow } from '../types.ts';

export interface Stanza {
  /** Field names lowercased (deb822 field names are case-insensitive). */
  fields: Map<string, string>;
  line: number;
}

export interface DpkgLimits {
  maxStanzas?: number;
  maxLineLength?: number;
}

const FIELD = /^([!-9;-~][!-9;-~]*):[ \t]*(.*)$/;

export function parseStanzas(text: string, limits: DpkgLimits = {}): Stanza[] {
  const maxStanzas = limits.maxStanzas ?? 1_000_000;
  const maxLine = limits.maxLineLength ?? 1 << 20;
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  let last: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > maxLine) throw new LimitError('dpkg.maxLineLength', `line ${i + 1}: ${line.length} characters`);
    if (line.trim() === '') {
      cur = undefined;
      last = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!cur || last === undefined)
        throw new ParseError('continuation line without a field', i, `dpkg.line[${i + 1}]`);
      cur.fields.set(last, `${cur.fields.get(last) ?? ''}\n${line.slice(1)}`);
      continue;
    }
    const m = FIELD.exec(line);
    if (!m) throw new ParseError('expected "Field: value"', i, `dpkg.line[${i + 1}]`);
    if (!cur) {
      if (out.length >= maxStanzas) throw new LimitError('dpkg.maxStanzas', `more than ${maxStanzas} stanzas`);
      cur = { fields: new Map(), line: i + 1 };
      out.push(cur);
    }
    last = m[1]!.toLowerCase();
    if (cur.fields.has(last)) throw new ParseError(`duplicate field ${m[1]}`, i, `dpkg.line[${i + 1}]`);
    cur.fields.set(last, m[2]!.trimEnd());
  }
  return out;
}

export interface DpkgImportOptions {
  security?: boolean;
  blacklist?: boolean;
  /** Seconds since the epoch recorded with each version. */
  time?: number;
}

/** Package versions of a dpkg status file or a Packages file (the format is told apart by the Status field). */
export function packageVersionsFrom(
  text: string,
  o: DpkgImportOptions = {},
  limits: DpkgLimits = {},
): PackageVersionRow[] {
  const rows: PackageVersionRow[] = [];
  for (const s of parseStanzas(text, limits)) {
    const name = s.fields.get('package');
    const version = s.fields.get('version');
    if (!name || !version) continue;
    const status = s.fields.get('status');
    if (status !== undefined && !/(^|\s)installed$/.test(status.trim())) continue;
    rows.push({
      name,
      release: version,
      ...(o.security ? { security: true } : {}),
      ...(o.blacklist ? { blacklist: true } : {}),
      ...(o.time !== undefined ? { time: o.time } : {}),
    });
  }
  return rows;
}
