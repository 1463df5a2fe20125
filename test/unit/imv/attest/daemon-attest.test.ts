/**
 * The `attest` modules inside IKE_AUTH through two daemons configured from swanctl.conf files (EAP-TTLS + PT-EAP,
 * mutual PB-TNC): A attests itself with its TPM (swtpm) to B's `attest` verifier; B answers A's `test` verifier.
 * A clean device gets its CHILD_SA; one whose AIK B does not trust gets no IKE SA.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../../src/common/index.ts';
import { Daemon } from '../../../../src/daemon/daemon.ts';
import { controlRequest } from '../../../../src/daemon/control.ts';
import { createCa, issueCert, writeSwanctlDir, type Issued } from '../../../../src/daemon/pki/index.ts';
import type { SaInfo } from '../../../../src/ike/engine.ts';
import { hasCommand, isRoot, requires } from '../../../support/env.ts';
import { provisionDevice } from './device.ts';
import { attestedConf, type AttestedConf } from '../../daemon/attestation/attested-conf.ts';
import type { Device } from './device.ts';

const NEEDS = { root: true, commands: ['swtpm', 'swtpm_setup'] };
let dev: Device | undefined;

before(async () => {
  if (hasCommand('swtpm') && hasCommand('swtpm_setup') && isRoot()) dev = await provisionDevice();
});
after(async () => {
  await dev?.cleanup();
});

function conf(o: Omit<AttestedConf, 'attestd'> & { tnc: string[] }): string {
  return attestedConf({ ...o, attestd: o.tnc });
}

let ca: Issued;
const certs = new Map<string, Issued>();

async function pair(t: TestContext, trustedAik: string, base: number) {
  const d = dev!;
  ca ??= await createCa({ subject: 'C=CH, O=attestd test, CN=Attestation CA', keyType: 'ecdsa-p256' });
  for (const n of ['a', 'b']) {
    if (!certs.has(n))
      certs.set(
        n,
        await issueCert({
          ca,
          subject: `CN=${n}.example`,
          san: [`${n}.example`],
          keyType: 'ecdsa-p256',
          serverAuth: true,
          clientAuth: true,
        }),
      );
  }
  const dir = mkdtempSync(join(tmpdir(), 'attestd-att-pts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ip = (i: number) => `127.0.${base}.${i}`;
  const tnc = {
    // A: its TPM-backed collector; the test verifier for B.
    a: [
      '  tnc {',
      '    imcs = attest',
      '    imvs = test',
      '  }',
      '  imc-attest {',
      `    tcti = ${d.tcti}`,
      `    imaLog = ${d.imaPath}`,
      `    bootLog = ${d.bootPath}`,
      '  }',
    ],
    // B: the test collector; the attestation verifier for A.
    b: [
      '  tnc {',
      '    imcs = test',
      '    imvs = attest',
      '  }',
      '  imc-test {',
      '    command = allow',
      '  }',
      '  imv-attest {',
      `    references = ${d.refPath}`,
      `    trustedAiks = ${trustedAik}`,
      `    files = ${d.bin}/`,
      '  }',
    ],
  };
  const daemons: Daemon[] = [];
  for (const [i, n] of (['a', 'b'] as const).entries()) {
    const other = n === 'a' ? 'b' : 'a';
    const cd = join(dir, n);
    await writeSwanctlDir(cd, { ca, host: certs.get(n)!, name: n });
    writeFileSync(
      join(cd, 'swanctl.conf'),
      conf({
        me: ip(i + 1),
        peer: ip(2 - i),
        name: n,
        peerName: other,
        ts: `10.${i + 1}.0.0/24`,
        rts: `10.${2 - i}.0.0/24`,
        tnc: tnc[n],
      }),
    );
    daemons.push(
      new Daemon({
        config: join(cd, 'swanctl.conf'),
        control: join(dir, `${n}.sock`),
        dataPlane: 'none',
        logLevel: 'silent',
      }),
    );
  }
  for (const x of [...daemons].reverse()) await x.start();
  t.after(async () => {
    for (const x of daemons) await x.stop().catch(() => {});
  });
  return { sock: (n: string) => join(dir, `${n}.sock`) };
}

test('daemons: a TPM-attested initiator with a trusted AIK and a clean tree gets its CHILD_SA', async (t) => {
  if (!requires(t, NEEDS)) return;
  const { sock } = await pair(t, toHex(dev!.aik.keyId), 47);
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  assert.equal(sa.children.length, 1);
  const b = ((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[])[0]!;
  assert.equal(b.authorization?.decision, 'allow');
});

test('daemons: an initiator whose AIK the responder does not trust gets no IKE SA', async (t) => {
  if (!requires(t, NEEDS)) return;
  const { sock } = await pair(t, 'ab'.repeat(20), 48);
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /AUTHENTICATION_FAILED|24|EAP/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
});
