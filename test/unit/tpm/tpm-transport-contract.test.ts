// One contract, run against every transport: swtpm over TCP (always, when swtpm is installed) and the kernel's
// /dev/tpmrm0 (when the machine has one). Each implementation must frame answers, keep one command in flight,
// surface response codes as TpmError, and let the client leave no transient handle behind.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { toHex } from '../../../src/common/index.ts';
import { requires } from '../../support/env.ts';
import { startSwtpm } from '../../support/swtpm.ts';
import { SwtpmTransport } from '../../../src/tpm/transport/swtpm.ts';
import { DEFAULT_TPM_DEVICE, DeviceTransport } from '../../../src/tpm/transport/device.ts';
import type { Transport } from '../../../src/tpm/transport/transport.ts';
import { Tpm, withTransient } from '../../../src/tpm/client.ts';
import { TpmError } from '../../../src/tpm/rc.ts';
import { srkTemplateEccP256 } from '../../../src/tpm/templates.ts';
import { TPM_RH } from '../../../src/tpm/types/constants.ts';

interface Impl {
  name: string;
  open(t: TestContext): Promise<Transport | undefined>;
}

const impls: Impl[] = [
  {
    name: 'swtpm TCP',
    async open(t) {
      if (!requires(t, { commands: ['swtpm', 'swtpm_setup'] })) return undefined;
      const sw = await startSwtpm();
      const tr = new SwtpmTransport({ port: sw.port });
      t.after(async () => {
        await tr.close();
        await sw.stop();
      });
      return tr;
    },
  },
  {
    name: DEFAULT_TPM_DEVICE,
    async open(t) {
      if (!existsSync(DEFAULT_TPM_DEVICE)) {
        t.skip(`${DEFAULT_TPM_DEVICE} is absent on this machine`);
        return undefined;
      }
      const tr = new DeviceTransport();
      t.after(() => tr.close());
      return tr;
    },
  },
];

for (const impl of impls) {
  test(`transport contract (${impl.name})`, async (t) => {
    const transport = await impl.open(t);
    if (!transport) return;
    const tpm = new Tpm(transport);
    await t.test('concurrent commands each get their own well-framed answer', async () => {
      const r = await Promise.all(Array.from({ length: 8 }, () => tpm.getRandom(24)));
      assert.equal(new Set(r.map(toHex)).size, 8);
    });
    await t.test('response codes surface as TpmError with the RC name', async () => {
      await assert.rejects(
        tpm.getCapability(0x99, 0, 1),
        (e: unknown) => e instanceof TpmError && e.rcName === 'TPM_RC_VALUE',
      );
    });
    await t.test('no transient handle is left behind', async () => {
      const before = await tpm.transientHandles();
      await assert.rejects(
        withTransient(tpm, tpm.createPrimary(TPM_RH.OWNER, srkTemplateEccP256()), async () => {
          throw new Error('fail inside');
        }),
        /fail inside/,
      );
      assert.deepEqual(await tpm.transientHandles(), before);
    });
  });
}
