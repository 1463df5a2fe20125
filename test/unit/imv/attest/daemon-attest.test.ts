/**
 * The `attest` modules inside IKE_AUTH through two daemons configured from swanctl.conf files (EAP-TTLS + PT-EAP,
 * mutual PB-TNC): A attests itself with its TPM (swtpm) to B's `attest` verifier; B answers A's `test` verifier.
 * A clean device gets its CHILD_SA; one whose AIK B does not trust gets no IKE SA.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../../src/common/index.ts';
import { controlRequest } from '../../../../src/daemon/control.ts';
import type { SaInfo } from '../../../../src/ike/engine.ts';
import { startAttestedPair } from '../../daemon/attestation/attested-conf.ts';
import { hasCommand, isRoot, requires } from '../../../support/env.ts';
import { provisionDevice } from './device.ts';
import type { Device } from './device.ts';

const NEEDS = { root: true, commands: ['swtpm', 'swtpm_setup'] };
let dev: Device | undefined;

before(async () => {
  if (hasCommand('swtpm') && hasCommand('swtpm_setup') && isRoot()) dev = await provisionDevice();
});
after(async () => {
  await dev?.cleanup();
});

function pair(t: TestContext, trustedAik: string, base: number) {
  const d = dev!;
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
  return startAttestedPair(t, { base, attestd: tnc });
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
