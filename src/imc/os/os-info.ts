/**
 * What the OS collector reports, and the parsers that read it from a Linux system: /etc/os-release, the package
 * databases (dpkg status, apk installed db, `rpm -qa`), /proc/sys/net/ipv4/ip_forward and /proc/net/{tcp,udp}[6].
 * The parsers are pure functions over text; `systemOsInfo` does the I/O and caches the result for `refreshMs`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../common/index.ts';
import type { PortFilterEntry } from '../../tnc/pa/index.ts';
import { parseApkInstalled as apkRecords, parseDpkgStatus as dpkgRecords } from '../../swima/packages.ts';

export interface OsInfo {
  /** Product Information: name, vendor PEN (0 = unknown) and id. */
  product: { name: string; vendor: number; id: number };
  /** String Version: version, build, configuration. */
  version: { version: string; build: string; config: string };
  numeric: { major: number; minor: number; build: number; servicePackMajor: number; servicePackMinor: number };
  packages: { name: string; version: string }[];
  /** Forwarding Enabled status: 0 disabled, 1 enabled, 2 unknown (RFC 5792 §4.2.11). */
  forwarding: 0 | 1 | 2;
  defaultPasswordEnabled: boolean;
  /** Open (listening) ports as Port Filter entries with B = 0. */
  ports: PortFilterEntry[];
}

/** Where the collector gets its facts. Synchronous on purpose: IMC handlers run inside one PB-TNC step. */
export interface OsInfoSource {
  collect(): OsInfo;
}

/** A fixed OsInfo (tests, benchmarks, configuration). */
export function staticOsInfo(info: OsInfo): OsInfoSource {
  return { collect: () => info };
}

const MAX_PACKAGES = 100_000;

/** /etc/os-release (KEY=value lines, optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$|^'.*'$/.test(v)) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** Numeric version from VERSION_ID such as "12", "3.19.1", "22.04". */
export function numericVersion(versionId: string): OsInfo['numeric'] {
  const [major = 0, minor = 0, build = 0] = versionId.split('.').map((x) => {
    const n = Number.parseInt(x, 10);
    return Number.isFinite(n) && n >= 0 && n <= 0xffffffff ? n : 0;
  });
  return { major, minor, build, servicePackMajor: 0, servicePackMinor: 0 };
}

/** Installed packages from /var/lib/dpkg/status (src/swima's parser; the first MAX_PACKAGES). */
export function parseDpkgStatus(text: string): OsInfo['packages'] {
  return dpkgRecords(text, Infinity)
    .slice(0, MAX_PACKAGES)
    .map(({ name, version }) => ({ name, version }));
}

/** Installed packages from apk's /lib/apk/db/installed (src/swima's parser; the first MAX_PACKAGES). */
export function parseApkInstalled(text: string): OsInfo['packages'] {
  return apkRecords(text, Infinity)
    .slice(0, MAX_PACKAGES)
    .map(({ name, version }) => ({ name, version }));
}

/** `rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE}\n'` output. */
export function parseRpmList(text: string): OsInfo['packages'] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0])
    .slice(0, MAX_PACKAGES)
    .map(([name, version]) => ({ name: name!, version: version ?? '' }));
}

/** A simple "name version" per line list (the test package file). */
export const parsePackageList = parseRpmList;

/**
 * Listening sockets from /proc/net/tcp[6] (state 0A LISTEN) or /proc/net/udp[6] (state 07, unconnected), as
 * Port Filter entries with B = 0 (open), sorted and without duplicates.
 */
export function parseProcNet(text: string, protocol: 6 | 17): PortFilterEntry[] {
  const want = protocol === 6 ? '0A' : '07';
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (!local || f[3] !== want) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (Number.isInteger(port) && port > 0 && port <= 0xffff) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b).map((port) => ({ blocked: false, protocol, port }));
}

export interface SystemOsInfoOptions {
  /** Root prefix for the files read (default '/'): tests point it at a fixture tree. */
  root?: string;
  /** A "name version" per line file used instead of the package database. */
  packagesFile?: string;
  /** Factory default password enabled: a boolean, or a file whose content is "1"/"true"/"yes" (default false). */
  defaultPassword?: boolean | string;
  /** How long collected facts are reused (default 60 s; 0 = collect every time). */
  refreshMs?: number;
  /** Product name override (default os-release PRETTY_NAME or NAME). */
  productName?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function hasRpm(): boolean {
  return spawnSync('rpm', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Reads the facts of this system (see the file comment), cached for `refreshMs`. */
export function systemOsInfo(opts: SystemOsInfoOptions = {}): OsInfoSource {
  const root = (opts.root ?? '/').replace(/\/$/, '');
  const at = (p: string) => `${root}${p}`;
  const refresh = opts.refreshMs ?? 60_000;
  let cached: { info: OsInfo; at: number } | undefined;
  const packages = (): OsInfo['packages'] => {
    if (opts.packagesFile !== undefined) {
      const t = readText(opts.packagesFile);
      if (t === undefined) throw new ConfigError(`OS collector: cannot read packages file ${opts.packagesFile}`);
      return parsePackageList(t);
    }
    const dpkg = readText(at('/var/lib/dpkg/status'));
    if (dpkg !== undefined) return parseDpkgStatus(dpkg);
    const apk = readText(at('/lib/apk/db/installed'));
    if (apk !== undefined) return parseApkInstalled(apk);
    if (root === '' && hasRpm()) {
      const r = spawnSync('rpm', ['-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE}\\n'], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      if (r.status === 0) return parseRpmList(r.stdout);
    }
    return [];
  };
  const defaultPassword = (): boolean => {
    const d = opts.defaultPassword;
    if (typeof d === 'boolean' || d === undefined) return d ?? false;
    if (!existsSync(d)) return false;
    return /^\s*(1|true|yes)\s*$/i.test(readText(d) ?? '');
  };
  const collect = (): OsInfo => {
    const rel = parseOsRelease(readText(at('/etc/os-release')) ?? readText(at('/usr/lib/os-release')) ?? '');
    const fwd = readText(at('/proc/sys/net/ipv4/ip_forward'))?.trim();
    const ports: PortFilterEntry[] = [];
    for (const [file, proto] of [
      ['/proc/net/tcp', 6],
      ['/proc/net/tcp6', 6],
      ['/proc/net/udp', 17],
      ['/proc/net/udp6', 17],
    ] as const) {
      ports.push(...parseProcNet(readText(at(file)) ?? '', proto));
    }
    const seen = new Set<string>();
    const uniquePorts = ports.filter((p) => {
      const k = `${p.protocol}/${p.port}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return {
      product: { name: opts.productName ?? rel.PRETTY_NAME ?? rel.NAME ?? 'Linux', vendor: 0, id: 0 },
      version: { version: rel.VERSION_ID ?? '', build: rel.BUILD_ID ?? '', config: rel.VARIANT_ID ?? '' },
      numeric: numericVersion(rel.VERSION_ID ?? ''),
      packages: packages(),
      forwarding: fwd === '1' ? 1 : fwd === '0' ? 0 : 2,
      defaultPasswordEnabled: defaultPassword(),
      ports: uniquePorts,
    };
  };
  return {
    collect() {
      const now = Date.now();
      if (cached && refresh > 0 && now - cached.at < refresh) return cached.info;
      const info = collect();
      cached = { info, at: now };
      return info;
    },
  };
}
