/**
 * swanctl.conf text for two attested peers: EAP-only EAP-TTLS with client certificates on both sides, one CHILD_SA,
 * and an attestd { } section whose eap block names the TLS certificate; `attestd` adds the collector/verifier lines.
 */
import type { TestContext } from 'node:test';
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
    '    tls_max = 1.3',
    '  }',
    ...o.attestd,
    '}',
    '',
  ].join('\n');
}

/**
 * Two daemons `a` (initiator side, 127.0.<base>.1) and `b` (127.0.<base>.2) with certificates from one test CA,
 * each configured by attestedConf with its own attestd lines; stopped and removed after the test.
 */
export async function startAttestedPair(
  t: TestContext,
  opts: { base: number; attestd: { a: string[]; b: string[] } },
): Promise<{ sock: (name: 'a' | 'b') => string }> {
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
      }),
    );
    daemons.push(
      new Daemon({
        config: join(d, 'swanctl.conf'),
        control: join(dir, `${n}.sock`),
        dataPlane: 'none',
        logLevel: 'silent',
      }),
    );
  }
  for (const d of [...daemons].reverse()) await d.start();
  t.after(async () => {
    for (const d of daemons) await d.stop().catch(() => {});
  });
  return { sock: (n) => join(dir, `${n}.sock`) };
}

let ca: Issued | undefined;
const certs = new Map<string, Issued>();
