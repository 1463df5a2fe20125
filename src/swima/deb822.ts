/**
 * Debian control-file stanzas (deb822) as dpkg keeps them in /var/lib/dpkg/status and as a Debian archive publishes
 * them in `dists/<suite>/<component>/binary-<arch>/Packages`: `Field: value` lines, continuation lines starting
 * with a space or tab, `#` comments, stanzas separated by blank lines (Debian Policy §5.1). The one parser of the
 * format: the SWIMA and OS collectors, the SWIMA verifier's package files and the reference database's import.
 */
import { LimitError, ParseError } from '../common/errors.ts';

export interface Stanza {
  /** Field names lowercased (deb822 field names are case-insensitive). */
  fields: Map<string, string>;
  line: number;
}

export interface Deb822Limits {
  maxStanzas?: number;
  maxLineLength?: number;
}

const FIELD = /^([!-9;-~][!-9;-~]*):[ \t]*(.*)$/;

/**
 * The stanzas of a deb822 text. Strict (default): a line that is neither a field, a continuation nor a comment, a
 * continuation before any field, and a repeated field are parse errors naming the line. Lenient (`strict: false`,
 * for a device's own package database, where one odd line must not cost the inventory): such lines are skipped and
 * a repeated field keeps its last value. The limits hold in both modes.
 */
export function parseStanzas(text: string, limits: Deb822Limits = {}, o: { strict?: boolean } = {}): Stanza[] {
  const strict = o.strict ?? true;
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
      if (!cur || last === undefined) {
        if (!strict) continue;
        throw new ParseError('continuation line without a field', i, `dpkg.line[${i + 1}]`);
      }
      cur.fields.set(last, `${cur.fields.get(last) ?? ''}\n${line.slice(1)}`);
      continue;
    }
    const m = FIELD.exec(line);
    if (!m) {
      if (!strict) continue;
      throw new ParseError('expected "Field: value"', i, `dpkg.line[${i + 1}]`);
    }
    if (!cur) {
      if (out.length >= maxStanzas) throw new LimitError('dpkg.maxStanzas', `more than ${maxStanzas} stanzas`);
      cur = { fields: new Map(), line: i + 1 };
      out.push(cur);
    }
    last = m[1]!.toLowerCase();
    if (strict && cur.fields.has(last)) throw new ParseError(`duplicate field ${m[1]}`, i, `dpkg.line[${i + 1}]`);
    cur.fields.set(last, m[2]!.trimEnd());
  }
  return out;
}
