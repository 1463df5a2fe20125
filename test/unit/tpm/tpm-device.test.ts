// The /dev/tpmrm0 transport without a device (the device itself is covered by tpm-transport-contract.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceTransport } from '../../../src/tpm/transport/device.ts';
import { Tpm } from '../../../src/tpm/client.ts';

test('a missing device fails with a clear error, not a hang', async () => {
  const transport = new DeviceTransport('/dev/attestd-no-such-tpm', 1000);
  await assert.rejects(new Tpm(transport).getRandom(4), /ENOENT/);
  await transport.close();
});
