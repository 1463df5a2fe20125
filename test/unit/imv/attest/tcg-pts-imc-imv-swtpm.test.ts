/**
 * The `attest` collector and verifier (TCG PTS, PA subtype 0x005597/1) as IMC/IMV modules in a TNC exchange, in
 * process: the collector talks to a real swtpm over its TCTI, reads a built firmware event log and IMA list from
 * files (the IMA list measures a temp file tree and is extended into PCR 10), and the verifier judges the quote, the
 * evidence and the file measurements against a reference manifest file and a list of trusted AIK key ids.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, toHex } from '../../../../src/common/index.ts';
import { createTncSide, runInProcess } from '../../../../src/tnc/imc-imv/index.ts';
import type { ConnectionContext, TncSide } from '../../../../src/tnc/imc-imv/index.ts';
import { Recommendation } from '../../../../src/tnc/pb/index.ts';
import { createImc } from '../../../../src/imc/attest/index.ts';
import { createImv } from '../../../../src/imv/attest/index.ts';
import { builtinImcs, builtinImvs } from '../../../../src/daemon/attestation.ts';
import { hasCommand, requires } from '../../../support/env.ts';
import { provisionDevice } from '../../../support/attest-device.ts';
import type { Device } from '../../../support/attest-device.ts';

const available = hasCommand('swtpm') && hasCommand('swtpm_setup');
const SWTPM = { commands: ['swtpm', 'swtpm_setup'] };

let dev: Device | undefined;

before(async () => {
  if (available) dev = await provisionDevice();
});

after(async () => {
  await dev?.cleanup();
});

const ctx = (id: string): ConnectionContext => ({
  id,
  peer: { method: 'none' },
  transport: 'in-process',
  log: silentLogger,
});

/** One in-process TNC exchange: the `attest` IMC (over the swtpm TCTI) against the `attest` IMV. */
async function assess(imv: Record<string, unknown>): Promise<{ client: TncSide; server: TncSide }> {
  const d = dev!;
  const imc = createImc({ tcti: d.tcti, imaLog: d.imaPath, bootLog: d.bootPath });
  try {
    const client = createTncSide({ transport: 'client', imcs: [imc], context: ctx('dev') });
    const server = createTncSide({ transport: 'server', imvs: [createImv(imv)], context: ctx('gw') });
    await runInProcess(client, server);
    return { client, server };
  } finally {
    await imc.close();
  }
}

const imvConfig = (o: Record<string, unknown> = {}) => ({
  references: dev!.refPath,
  trustedAiks: toHex(dev!.aik.keyId),
  files: `${dev!.bin}/`,
  requiredPcrs: '0, 7, 10',
  ...o,
});

test('attest IMC ↔ attest IMV: a clean device is allowed', async (t) => {
  if (!requires(t, SWTPM)) return;
  const { client, server } = await assess(imvConfig());
  const o = server.outcome();
  assert.deepEqual(o.verdict?.reasons, []);
  assert.equal(o.decision?.recommendation, Recommendation.ACCESS_ALLOWED);
  assert.equal(client.outcome().assessedBy?.recommendation, Recommendation.ACCESS_ALLOWED);
  assert.ok(o.done && client.outcome().done);
});

test('attest: a file changed after the reference → no access, the path in the reasons', async (t) => {
  if (!requires(t, SWTPM)) return;
  const victim = join(dev!.bin, 'cat');
  writeFileSync(victim, 'ELF cat v2 (trojaned)');
  try {
    const { client } = await assess(imvConfig());
    const r = client.outcome().assessedBy!;
    assert.equal(r.recommendation, Recommendation.ACCESS_DENIED);
    assert.ok(
      r.reasons.some((x) => x.reason.includes(victim)),
      r.reasons.map((x) => x.reason).join('; '),
    );
    assert.ok(!r.reasons.some((x) => x.reason.includes(join(dev!.bin, 'ls'))), 'unchanged files are not named');
  } finally {
    writeFileSync(victim, dev!.files.cat!);
  }
});

test('attest: an AIK that is not trusted → no access naming its key id', async (t) => {
  if (!requires(t, SWTPM)) return;
  const { client } = await assess(imvConfig({ trustedAiks: ['00'.repeat(20)] }));
  const r = client.outcome().assessedBy!;
  assert.equal(r.recommendation, Recommendation.ACCESS_DENIED);
  const id = toHex(dev!.aik.keyId);
  assert.ok(
    r.reasons.some((x) => x.reason.toLowerCase().includes(id)),
    `${id} not in: ${r.reasons.map((x) => x.reason).join('; ')}`,
  );
});

test('attest IMV without a collector on the other side: no access (attestation required)', async () => {
  const { createTestImc } = await import('../../../../src/imc/test/index.ts');
  const ref = join(tmpdir(), `attestd-empty-ref-${process.pid}.txt`);
  writeFileSync(ref, '');
  try {
    const client = createTncSide({
      transport: 'client',
      imcs: [createTestImc({ command: 'allow' })],
      context: ctx('d'),
    });
    const server = createTncSide({ transport: 'server', imvs: [createImv({ references: ref })], context: ctx('g') });
    await runInProcess(client, server);
    assert.equal(client.outcome().assessedBy?.recommendation, Recommendation.ACCESS_DENIED);
  } finally {
    rmSync(ref, { force: true });
  }
});

test('attest module configuration is validated; both are built-ins', () => {
  assert.throws(() => createImv({}), /references/);
  assert.throws(() => createImv({ references: '/nonexistent/ref' }), /cannot read references/);
  assert.throws(() => createImc({ tcti: 'swtpm:port=1', device: '/dev/tpmrm0' }), /not both/);
  assert.throws(() => createImc({ aikHandle: 'nope' }), /aikHandle/);
  assert.equal(typeof builtinImcs.attest, 'function');
  assert.equal(typeof builtinImvs.attest, 'function');
});
