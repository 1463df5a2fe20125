/**
 * A package policy from files, for the `swima` verifier when no reference database supplies one:
 *
 *   packages   the known-good packages and versions: a dpkg status file (installed entries only) or a Debian
 *              Packages index (deb-control paragraphs with Package and Version)
 *   blacklist  package names whose presence isolates the device
 *   security   optional: a Packages index (or status file) of security updates; an installed version older than
 *              the one listed there (Debian ordering) lacks that fix
 *
 * A package that is known but in a version the `packages` file does not list is reported as an unknown version.
 */
import { isDpkgInstalled, parseStanzas } from '../../swima/index.ts';
import type { PackagePolicy } from '../../swima/index.ts';
import { compareDebianVersions } from './deb-version.ts';

/** Package name → versions of deb-control paragraphs (entries with a Status that is not "installed" skipped). */
export function parseDebPackageList(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { fields } of parseStanzas(text, {}, { strict: false })) {
    const name = fields.get('package');
    const version = fields.get('version');
    const status = fields.get('status');
    if (!name || !version) continue;
    if (status !== undefined && !isDpkgInstalled(status)) continue;
    let versions = out.get(name);
    if (!versions) out.set(name, (versions = new Set()));
    versions.add(version);
  }
  return out;
}

export interface FilePolicySource {
  /** Known-good packages (parseDebPackageList). */
  known: ReadonlyMap<string, ReadonlySet<string>>;
  blacklist: ReadonlySet<string>;
  /** Security updates: package → versions listed as fixes (the newest applies). */
  security?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The PackagePolicy of parsed files. */
export function filePackagePolicy(src: FilePolicySource): PackagePolicy {
  const newest = new Map<string, string>();
  for (const [name, versions] of src.security ?? []) {
    const sorted = [...versions].sort(compareDebianVersions);
    newest.set(name, sorted[sorted.length - 1]!);
  }
  return {
    isKnown: (name) => src.known.has(name),
    isKnownVersion: (name, version) => src.known.get(name)?.has(version) ?? false,
    isBlacklisted: (name) => src.blacklist.has(name),
    securityFix(name, version) {
      const fix = newest.get(name);
      return fix !== undefined && compareDebianVersions(version, fix) < 0 ? fix : undefined;
    },
  };
}
