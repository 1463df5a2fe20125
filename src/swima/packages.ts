/**
 * Package-manager metadata parsed into plain records (pure: the caller reads the files): dpkg's status file
 * (deb-control paragraphs), Alpine apk's installed database (`P:`/`V:`/`A:` lines), and dpkg.log history lines.
 */
import { LimitError } from '../common/index.ts';
import { parseStanzas } from './deb822.ts';

export interface PackageRecord {
  name: string;
  version: string;
  arch: string;
}

export interface PackageHistoryEntry {
  /** `YYYY-MM-DDThh:mm:ssZ` (dpkg.log times are local; taken as UTC). */
  timestamp: string;
  action: 'install' | 'upgrade' | 'remove' | 'purge';
  name: string;
  arch: string;
  oldVersion?: string;
  newVersion?: string;
}

const MAX_PACKAGES = 200_000;

/**
 * Whether a dpkg Status value (`want flag state`) says the package is installed: its state is `installed`, not
 * `not-installed` or `half-installed`.
 */
export function isDpkgInstalled(status: string): boolean {
  return /(?:^|\s)installed$/.test(status.trim());
}

/** Installed packages of a dpkg status file (Status "… installed" only). */
export function parseDpkgStatus(text: string, max = MAX_PACKAGES): PackageRecord[] {
  const out: PackageRecord[] = [];
  for (const { fields: f } of parseStanzas(text, {}, { strict: false })) {
    const name = f.get('package');
    const version = f.get('version');
    if (!name || !version || !isDpkgInstalled(f.get('status') ?? '')) continue;
    if (out.length >= max) throw new LimitError('swima.maxPackages', `more than ${max} packages`);
    out.push({ name, version, arch: f.get('architecture') ?? 'all' });
  }
  return out;
}

/** Installed packages of an apk database (/lib/apk/db/installed). */
export function parseApkInstalled(text: string, max = MAX_PACKAGES): PackageRecord[] {
  const out: PackageRecord[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    let name = '';
    let version = '';
    let arch = 'noarch';
    for (const line of block.split('\n')) {
      if (line.startsWith('P:')) name = line.slice(2).trim();
      else if (line.startsWith('V:')) version = line.slice(2).trim();
      else if (line.startsWith('A:')) arch = line.slice(2).trim();
    }
    if (!name || !version) continue;
    if (out.length >= max) throw new LimitError('swima.maxPackages', `more than ${max} packages`);
    out.push({ name, version, arch });
  }
  return out;
}

/** Package changes of dpkg.log lines (`date time action pkg:arch old new`); other lines are skipped. */
export function parseDpkgLog(text: string, max = MAX_PACKAGES): PackageHistoryEntry[] {
  const out: PackageHistoryEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (install|upgrade|remove|purge) (\S+) (\S+) (\S+)\s*$/.exec(
      line,
    );
    if (!m) continue;
    const [pkg, arch = 'all'] = m[4]!.split(':');
    const v = (s: string) => (s === '<none>' ? undefined : s);
    if (out.length >= max) throw new LimitError('swima.maxEvents', `more than ${max} history entries`);
    const oldVersion = v(m[5]!);
    const newVersion = v(m[6]!);
    out.push({
      timestamp: `${m[1]}T${m[2]}Z`,
      action: m[3] as PackageHistoryEntry['action'],
      name: pkg!,
      arch,
      ...(oldVersion ? { oldVersion } : {}),
      ...(newVersion ? { newVersion } : {}),
    });
  }
  return out;
}
