/**
 * swanctl.conf text for two attested peers: EAP-only EAP-TTLS with client certificates on both sides, one CHILD_SA,
 * and an attestd { } section whose eap block names the TLS certificate; `attestd` adds the collector/verifier lines.
 * Also used by the EAP interop suite (test/interop/eap.suite.ts), which runs outside node:test: it passes its own
 * cleanup scope instead of a TestContext.
 */
import type { LogLevelName } from '../../../../src/common/log.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../../src/daemon/daemon.ts';
import { createCa, issueCert, writeSwanctlDir, type Issued } from '../../../../src/daemon/pki/index.ts';
export interface AttestedConf {
  me: string;
  peer: string;
  name: string;
  peerName: string;
  ts: string;
  rts: string;
  /** Lines inside attestd { } after the eap block (tnc, imc-*, imv-* sections). */
  attestd: string[];
  /** attestd.eap.tls_max (default 1.3). */
  tlsMax?: '1.2' | '1.3';
}

export function attestedConf(o: AttestedConf): string {
  return [
    'connections {',
    '  attested {',
    `    local_addrs = ${o.me}`,
    `    remote_addrs = ${o.peer}`,
    '    proposals = aes256gcm16-prfsha256-x25519',
    '    local {',
    '      auth = eap-ttls',
    `      certs = ${o.name}.pem`,
    `      id = ${o.name}.example`,
    '    }',
    '    remote {',
    '      auth = eap-ttls',
    `      id = ${o.peerName}.example`,
    '    }',
    '    children {',
    '      net {',
    `        local_ts = ${o.ts}`,
    `        remote_ts = ${o.rts}`,
    '        esp_proposals = aes256gcm16',
    '      }',
    '    }',
    '  }',
    '}',
    'attestd {',
    '  eap {',
    `    cert = ${o.name}.pem`,
    `    tls_max = ${o.tlsMax ?? '1.3'}`,
    '  }',
    ...o.attestd,
    '}',
    '',
  ].join('\n');
}

/** Where cleanups go: a node:test TestContext, or any scope with the same `after`. */
export interface CleanupScope {
  after(fn: () => unknown): void;
}

export interface AttestedPairOptions {
  base: number;
  attestd: { a: string[]; b: string[] };
  /** attestd.eap.tls_max of both daemons (default 1.3). */
  tlsMax?: '1.2' | '1.3';
  /** The daemons' log level (default silent). */
  logLevel?: LogLevelName;
}

export interface AttestedPair {
  sock: (name: 'a' | 'b') => string;
  /** 127.0.<base>.1 for a, .2 for b. */
  addr: (name: 'a' | 'b') => string;
  daemons: { a: Daemon; b: Daemon };
  /** The test CA and the daemons' certificates (the EAP-TTLS client/server certificates). */
  pki: { ca: Issued; a: Issued; b: Issued };
}

/**
 * Two daemons `a` (initiator side, 127.0.<base>.1) and `b` (127.0.<base>.2) with certificates from one test CA,
 * each configured by attestedConf with its own attestd lines; stopped and removed after the test.
 */
export async function startAttestedPair(t: CleanupScope, opts: AttestedPairOptions): Promise<AttestedPair> {
  ca ??= await createCa({ subject: 'C=CH, O=attestd test, CN=Attestation CA', keyType: 'ecdsa-p256' });
  for (const n of ['a', 'b'] as const) {
    if (!certs.has(n)) {
      const cert = await issueCert({
        ca,
        subject: `CN=${n}.example`,
        san: [`${n}.example`],
        keyType: 'ecdsa-p256',
        serverAuth: true,
        clientAuth: true,
      });
      certs.set(n, cert);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'attestd-att-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ip = (i: number) => `127.0.${opts.base}.${i}`;
  const daemons: Daemon[] = [];
  for (const [i, n] of (['a', 'b'] as const).entries()) {
    const d = join(dir, n);
    await writeSwanctlDir(d, { ca, host: certs.get(n)!, name: n });
    writeFileSync(
      join(d, 'swanctl.conf'),
      attestedConf({
        me: ip(i + 1),
        peer: ip(2 - i),
        name: n,
        peerName: n === 'a' ? 'b' : 'a',
        ts: `10.${i + 1}.0.0/24`,
        rts: `10.${2 - i}.0.0/24`,
        attestd: opts.attestd[n],
        ...(opts.tlsMax ? { tlsMax: opts.tlsMax } : {}),
      }),
    );
    daemons.push(
      new Daemon({
        config: join(d, 'swanctl.conf'),
        control: join(dir, `${n}.sock`),
        dataPlane: 'none',
        logLevel: opts.logLevel ?? 'silent',
      }),
    );
  }
  for (const d of [...daemons].reverse()) await d.start();
  t.after(async () => {
    for (const d of daemons) await d.stop().catch(() => {});
  });
  const [a, b] = daemons as [Daemon, Daemon];
  return {
    sock: (n) => join(dir, `${n}.sock`),
    addr: (n) => ip(n === 'a' ? 1 : 2),
    daemons: { a, b },
    pki: { ca, a: certs.get('a')!, b: certs.get('b')! },
  };
}

let ca: Issued | undefined;
const certs = new Map<string, Issued>();
