// TPM_RC decoding (TPM 2.0 Part 2 §6.6): format zero/one, warnings, parameter/handle/session numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RC, TpmError, decodeRc, describeRc } from '../../../src/tpm/rc.ts';
import { isDeclaredError } from '../../../src/common/errors.ts';

test('format-one codes name the parameter, handle or session', () => {
  assert.equal(describeRc(0x1c4), 'TPM_RC_VALUE (parameter 1)');
  assert.equal(describeRc(0x2c4), 'TPM_RC_VALUE (parameter 2)');
  assert.equal(describeRc(0x98e), 'TPM_RC_AUTH_FAIL (session 1)');
  assert.equal(describeRc(0x9a2), 'TPM_RC_BAD_AUTH (session 1)');
  assert.equal(describeRc(0x18b), 'TPM_RC_HANDLE (handle 1)');
  assert.equal(describeRc(0x08b), 'TPM_RC_HANDLE');
  assert.equal(describeRc(0x99d), 'TPM_RC_POLICY_FAIL (session 1)');
  assert.equal(describeRc(0x2d5), 'TPM_RC_SIZE (parameter 2)');
});

test('format-zero errors and warnings', () => {
  assert.equal(describeRc(0x100), 'TPM_RC_INITIALIZE');
  assert.equal(describeRc(0x14c), 'TPM_RC_NV_DEFINED');
  assert.equal(describeRc(0x922), 'TPM_RC_RETRY');
  assert.equal(describeRc(0x902), 'TPM_RC_OBJECT_MEMORY');
  assert.equal(describeRc(0x01e), 'TPM_RC_BAD_TAG');
  assert.equal(decodeRc(0x922).warning, true);
  assert.equal(decodeRc(0x100).warning, false);
  assert.match(describeRc(0x500), /^VENDOR_0x500$/);
  assert.match(describeRc(0x17f), /^TPM_RC_0x17f$/);
});

test('TpmError carries the command, the RC name and the comparable base code', () => {
  const e = new TpmError('TPM2_Quote', 0x1c4);
  assert.equal(e.message, 'TPM2_Quote: TPM_RC_VALUE (parameter 1) (0x1c4)');
  assert.equal(e.rcName, 'TPM_RC_VALUE');
  assert.equal(e.is(RC.VALUE), true);
  assert.deepEqual(e.subject, { kind: 'parameter', index: 1 });
  assert.equal(e.code, 'ERR_TPM');
  assert.equal(isDeclaredError(e), true);
});

test('property: every 32-bit code decodes to a name, and the base strips only the numbers', () => {
  fc.assert(
    fc.property(fc.nat({ max: 0xfff }), (rc) => {
      const d = decodeRc(rc);
      assert.ok(d.name.length > 0);
      if (d.format === 1) assert.equal(d.base, 0x80 | (rc & 0x3f));
    }),
  );
});
