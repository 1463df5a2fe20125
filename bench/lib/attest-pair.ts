/**
 * Library for the mutual-attestation bench (not a suite):
 *
 * - `provisionTreeDevice(n)`: a test device like test/support/attest-device.ts, but with a tree of `n` files: a
 *   fresh swtpm with an ECC AIK at the default handle, a firmware event log extended into PCRs 0 and 7, an IMA
 *   (ima-ng) list of boot_aggregate and every file of the tree extended into PCR 10, both logs as files, and the
 *   reference manifest of the tree (sha256sum form).
 * - `startDaemonPair`: two in-process daemons `a` (127.0.<base>.1) and `b` (127.0.<base>.2), each with its own
 *   swanctl directory from one CA, and the connections and `attestd { }` lines the caller gives.
 * - `attestedConnection` / `plainConnection` / `attestSection`: swanctl.conf fragments for those.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/common/index.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { LogLevelName } from '../../src/common/log.ts';
import { writeSwanctlDir } from '../../src/daemon/pki/index.ts';
import { connectionLines, makePairPki } from '../../test/unit/daemon/attestation/attested-conf.ts';
import type { PairPki } from '../../test/unit/daemon/attestation/attested-conf.ts';
import type { AikInfo } from '../../src/tpm/aik.ts';
import { provisionDevice } from '../../test/support/attest-device.ts';
import type { Swtpm } from '../../test/support/swtpm.ts';

export interface TreeDevice {
  sw: Swtpm;
  aik: AikInfo;
  /** Hex key id of the AIK (for `trustedAiks`). */
  aikId: string;
  root: string;
  /** The measured directory (no trailing slash). */
  tree: string;
  fileCount: number;
  imaPath: string;
  bootPath: string;
  refPath: string;
  tcti: string;
  cleanup(): Promise<void>;
}

/** Deterministic file contents of about 1 KiB each, different per device and file. */
function content(tag: string, i: number): string {
  const line = `${tag} file ${i}: ${'x'.repeat(i % 97)}\n`;
  return line.repeat(Math.ceil(1024 / line.length));
}

/** A test device (test/support/attest-device.ts) whose measured tree holds `fileCount` files. */
export async function provisionTreeDevice(tag: string, fileCount: number): Promise<TreeDevice> {
  const files: Record<string, string> = {};
  for (let i = 0; i < fileCount; i++) files[`f${String(i).padStart(5, '0')}`] = content(tag, i);
  const d = await provisionDevice({ binDir: 'tree', files });
  return { ...d, aikId: toHex(d.aik.keyId), tree: d.bin, fileCount };
}

export interface ConnectionSpec {
  name: string;
  base: number;
  /** Which side writes the file: a is 127.0.<base>.1, b is .2. */
  side: 'a' | 'b';
}

function connection(o: ConnectionSpec, auth: 'eap-ttls' | 'pubkey'): string[] {
  const me = o.side === 'a' ? 1 : 2;
  const peer = 3 - me;
  return connectionLines({
    conn: o.name,
    me: `127.0.${o.base}.${me}`,
    peer: `127.0.${o.base}.${peer}`,
    name: o.side,
    peerName: o.side === 'a' ? 'b' : 'a',
    ts: `10.${me}.0.0/24`,
    rts: `10.${peer}.0.0/24`,
    auth,
  });
}

/** EAP-only EAP-TTLS with client certificates on both sides (attestation inside, per `attestd { }`). */
export const attestedConnection = (o: ConnectionSpec): string[] => connection(o, 'eap-ttls');
/** Plain certificate authentication with the same certificates and identities, no EAP. */
export const plainConnection = (o: ConnectionSpec): string[] => connection(o, 'pubkey');

/** `attestd { }` body: both directions attested with the `attest` collector (own TPM) and verifier (peer's tree). */
export function attestSection(side: 'a' | 'b', own: TreeDevice, peer: TreeDevice, fragmentSize: number): string[] {
  return [
    '  eap {',
    `    cert = ${side}.pem`,
    '    tls_max = 1.3',
    `    fragment_size = ${fragmentSize}`,
    '  }',
    '  tnc {',
    '    imcs = attest',
    '    imvs = attest',
    '  }',
    '  imc-attest {',
    `    tcti = ${own.tcti}`,
    `    imaLog = ${own.imaPath}`,
    `    bootLog = ${own.bootPath}`,
    '  }',
    '  imv-attest {',
    `    references = ${peer.refPath}`,
    `    trustedAiks = ${peer.aikId}`,
    `    files = ${peer.tree}/`,
    '  }',
  ];
}

export type Pki = PairPki;

export const makePki = (): Promise<Pki> => makePairPki('attestd bench');

export interface DaemonPair {
  a: Daemon;
  b: Daemon;
  stop(): Promise<void>;
}

/**
 * Starts daemons a and b (responder first) from swanctl directories under a temp dir; `stop()` stops both and
 * removes the directory, also when starting failed half-way.
 */
export async function startDaemonPair(
  pki: Pki,
  conf: (side: 'a' | 'b') => { connections: string[]; attestd: string[] },
): Promise<DaemonPair> {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-bench-pair-'));
  const started: Daemon[] = [];
  const stop = async () => {
    for (const d of started) await d.stop().catch(() => {});
    started.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const daemons = {} as Record<'a' | 'b', Daemon>;
    for (const n of ['a', 'b'] as const) {
      const d = join(dir, n);
      const c = conf(n);
      writeSwanctlDir(d, {
        ca: pki.ca,
        host: pki[n],
        name: n,
        conf: ['connections {', ...c.connections, '}', 'attestd {', ...c.attestd, '}', ''].join('\n'),
      });
      daemons[n] = new Daemon({
        config: join(d, 'swanctl.conf'),
        control: join(dir, `${n}.sock`),
        dataPlane: 'none',
        // Errors to stderr (why a setup failed); ATTESTD_BENCH_LOG=debug for the whole story.
        logLevel: (process.env.ATTESTD_BENCH_LOG as LogLevelName | undefined) ?? 'error',
      });
    }
    for (const n of ['b', 'a'] as const) {
      started.push(daemons[n]); // stopped on error too: start() may fail after opening its sockets
      await daemons[n].start();
    }
    return { a: daemons.a, b: daemons.b, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
