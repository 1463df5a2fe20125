/** SWIMA test fixtures: a small dpkg status file and dpkg.log written to a temp dir, and a connection context. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../src/common/index.ts';
import type { ConnectionContext } from '../../../../src/tnc/imc-imv/index.ts';

export const ctx = (id = 'swima-1'): ConnectionContext => ({
  id,
  peer: { method: 'none' },
  transport: 'in-process',
  log: silentLogger,
});

/** One installed package as a dpkg status paragraph. */
export const paragraph = (name: string, version: string, status = 'install ok installed', arch = 'amd64') =>
  `Package: ${name}\nStatus: ${status}\nPriority: optional\nArchitecture: ${arch}\nVersion: ${version}\n` +
  `Description: ${name}\n the ${name} package\n`;

export const statusOf = (pkgs: readonly (readonly [string, string])[]) =>
  pkgs.map(([n, v]) => paragraph(n, v)).join('\n');

/** A clean Debian 12 host. */
export const CLEAN = [
  ['bash', '5.2.15-2+b2'],
  ['openssl', '3.0.15-1~deb12u1'],
  ['libc6', '2.36-9+deb12u9'],
] as const;

export const LOG = `2024-01-02 10:00:00 startup archives unpack
2024-01-02 10:00:01 install bash:amd64 <none> 5.2.15-2
2024-01-02 10:00:02 status installed bash:amd64 5.2.15-2
2024-03-04 11:00:00 upgrade bash:amd64 5.2.15-2 5.2.15-2+b2
2024-03-05 12:00:00 install netcat-traditional:amd64 <none> 1.10-47
2024-03-06 12:00:00 remove telnet:amd64 0.17-44 <none>
`;

export const SWID = { os: 'Debian_12', regid: 'debian.org', entityName: 'Debian Project' } as const;

export interface Fixture {
  dir: string;
  status: string;
  log: string;
  write(name: string, text: string): string;
  cleanup(): void;
}

export function fixture(pkgs: readonly (readonly [string, string])[] = CLEAN, log = LOG): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-swima-'));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return {
    dir,
    status: write('status', statusOf(pkgs)),
    log: write('dpkg.log', log),
    write,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
