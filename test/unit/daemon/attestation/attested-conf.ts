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
export interface AttestedConf extends Omit<ConnectionLines, 'conn' | 'auth'> {
  /** Lines inside attestd { } after the eap block (tnc, imc-*, imv-* sections). */
  attestd: string[];
  /** attestd.eap.tls_max (default 1.3). */
  tlsMax?: '1.2' | '1.3';
}

/** One connection of the `connections { }` section between `<name>.example` and `<peerName>.example`. */
export interface ConnectionLines {
  /** The connection's name. */
  conn: string;
  me: string;
  peer: string;
  name: string;
  peerName: string;
  ts: string;
  rts: string;
  /** eap-ttls (EAP-only, attestation inside) or pubkey (certificates only). */
  auth: 'eap-ttls' | 'pubkey';
}

export function connectionLines(o: ConnectionLines): string[] {
  return [
    `  ${o.conn} {`,
    `    local_addrs = ${o.me}`,
    `    remote_addrs = ${o.peer}`,
    '    proposals = aes256gcm16-prfsha256-x25519',
    '    local {',
    `      auth = ${o.auth}`,
    `      certs = ${o.name}.pem`,
    `      id = ${o.name}.example`,
    '    }',
    '    remote {',
    `      auth = ${o.auth}`,
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
  ];
}

/** A test CA and certificates for a.example and b.example (client and server use), ECDSA P-256. */
export interface PairPki {
  ca: Issued;
  a: Issued;
  b: Issued;
}

export async function makePairPki(org = 'attestd test'): Promise<PairPki> {
  const ca = await createCa({ subject: `C=CH, O=${org}, CN=Attestation CA`, keyType: 'ecdsa-p256' });
  const issue = (n: string) =>
    issueCert({
      ca,
      subject: `CN=${n}.example`,
      san: [`${n}.example`],
      keyType: 'ecdsa-p256',
      serverAuth: true,
      clientAuth: true,
    });
  return { ca, a: await issue('a'), b: await issue('b') };
}

export function attestedConf(o: AttestedConf): string {
  return [
    'connections {',
    ...connectionLines({ ...o, conn: 'attested', auth: 'eap-ttls' }),
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
  const p = (pki ??= await makePairPki());
  const dir = mkdtempSync(join(tmpdir(), 'attestd-att-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ip = (i: number) => `127.0.${opts.base}.${i}`;
  const daemons: Daemon[] = [];
  for (const [i, n] of (['a', 'b'] as const).entries()) {
    const d = join(dir, n);
    await writeSwanctlDir(d, { ca: p.ca, host: p[n], name: n });
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
    pki: p,
  };
}

/** One PKI for every pair of the process (issuing certificates is the slow part). */
let pki: PairPki | undefined;
