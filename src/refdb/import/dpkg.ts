/**
 * Package versions for the reference database from a dpkg status file or a Debian Packages file, read strictly with
 * the deb822 parser (src/swima/deb822.ts): a malformed line is an error naming it. Pure: text in, rows out.
 *
 * From the status file only packages whose `Status` ends in `installed` count (not half-installed, config-files or
 * not-installed); a Packages file has no Status and every stanza counts.
 */
import { parseStanzas } from '../../swima/deb822.ts';
import type { Deb822Limits } from '../../swima/deb822.ts';
import { isDpkgInstalled } from '../../swima/packages.ts';
import type { PackageVersionRow } from '../types.ts';

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
  limits: Deb822Limits = {},
): PackageVersionRow[] {
  const rows: PackageVersionRow[] = [];
  for (const s of parseStanzas(text, limits)) {
    const name = s.fields.get('package');
    const version = s.fields.get('version');
    if (!name || !version) continue;
    const status = s.fields.get('status');
    if (status !== undefined && !isDpkgInstalled(status)) continue;
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
