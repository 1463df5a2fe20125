// Transport plumbing without a TPM: one command in flight, timeouts, TCTI strings; HMAC-session helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError, fromHex, toHex } from '../../../src/common/index.ts';
import { Serializer } from '../../../src/tpm/transport/transport.ts';
import { SwtpmTransport } from '../../../src/tpm/transport/swtpm.ts';
import { cpHash, rpHash, trimAuth } from '../../../src/tpm/session.ts';
import { TPM_ALG, TPM_CC } from '../../../src/tpm/types/constants.ts';
import { createHash } from 'node:crypto';

test('Serializer runs one call at a time, in order, and survives failures', async () => {
  const s = new Serializer();
  let inFlight = 0;
  let max = 0;
  const order: number[] = [];
  const job =
    (i: number, fail = false) =>
    async () => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 5 - (i % 3)));
      inFlight--;
      order.push(i);
      if (fail) throw new Error(`job ${i}`);
      return i;
    };
  const all = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => s.run(job(i, i === 2), 1000, 'job', () => {})));
  assert.equal(max, 1);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  assert.equal(all[2]!.status, 'rejected');
  assert.equal(all[5]!.status, 'fulfilled');
});

test('Serializer times out a stuck call with TimeoutError and calls onTimeout', async () => {
  const s = new Serializer();
  let dropped = false;
  await assert.rejects(
    s.run(
      () => new Promise<never>(() => {}),
      20,
      'stuck',
      () => (dropped = true),
    ),
    (e: unknown) => e instanceof TimeoutError && /stuck: no answer within 20 ms/.test(e.message),
  );
  assert.equal(dropped, true);
  assert.equal(
    await s.run(
      async () => 7,
      100,
      'next',
      () => {},
    ),
    7,
  );
});

test('SwtpmTransport.fromTcti reads the tpm2-tools TCTI string; the control port is port + 1', () => {
  const t = SwtpmTransport.fromTcti('swtpm:host=127.0.0.1,port=2421');
  assert.equal(t.host, '127.0.0.1');
  assert.equal(t.port, 2421);
  assert.equal(t.ctrlPort, 2422);
  assert.throws(() => new SwtpmTransport({ port: 0 }), /bad swtpm port/);
});

test('HMAC-session hashes: cpHash = H(cc ‖ names ‖ params), rpHash = H(0 ‖ cc ‖ params); authValues lose trailing zeros', () => {
  const names = [fromHex('40000001'), fromHex('000b' + '11'.repeat(32))];
  const params = fromHex('0102');
  const want = createHash('sha256')
    .update(fromHex('00000120' + '40000001' + '000b' + '11'.repeat(32) + '0102'))
    .digest('hex');
  assert.equal(toHex(cpHash(TPM_ALG.SHA256, TPM_CC.EvictControl, names, params)), want);
  const wantR = createHash('sha256')
    .update(fromHex('00000000' + '00000158' + '0102'))
    .digest('hex');
  assert.equal(toHex(rpHash(TPM_ALG.SHA256, TPM_CC.Quote, params)), wantR);
  assert.equal(toHex(trimAuth(fromHex('610000'))), '61');
  assert.equal(toHex(trimAuth(fromHex('0000'))), '');
});
