/** Test collector (strongSwan imc-test behaviour): command, dummy, repeat until assessed, retry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/common/index.ts';
import { createImc, createTestImc, testImcConfig } from '../../../src/imc/test/index.ts';

const ctx = { id: 'c', peer: { method: 'none' } as const, transport: 'in-process', log: silentLogger };
const inMsg = (attributes: unknown[], sourceId = 5) => ({
  vendor: 0x902a,
  subtype: 1,
  messageId: 1,
  exclusive: true,
  sourceId,
  destinationId: 1,
  attributes: attributes as never[],
});

test('sends its command (NOSKIP) and a dummy; repeats to an IMV until it sends an assessment', async () => {
  const c = createTestImc({ command: 'isolate', dummySize: 40 }).connect(ctx);
  const [m] = await c.beginHandshake();
  assert.equal(m!.to, undefined);
  assert.deepEqual(m!.attributes[0], { kind: 'ita/command', noskip: true, command: 'isolate' });
  assert.equal(m!.attributes[1]!.kind, 'ita/dummy');
  const again = await c.receive(inMsg([{ kind: 'ita/command', command: 'repeat' }]));
  assert.equal(again[0]!.to, 5);
  assert.deepEqual(await c.receive(inMsg([{ kind: 'ietf/assessment-result', result: 1 }])), []);
  assert.deepEqual(await c.receive(inMsg([{ kind: 'ita/command', command: 'repeat' }])), []);
});

test('retry: asks for one new handshake and then sends the retry command', async () => {
  const c = createTestImc({ command: 'block', retry: true, retryCommand: 'allow' }).connect(ctx);
  await c.beginHandshake();
  assert.equal(c.result!({ recommendation: 2, reasons: [], remediation: [] }), 'retry');
  const [m] = await c.beginHandshake();
  assert.equal((m!.attributes[0] as { command?: string }).command, 'allow');
  assert.equal(c.result!({ recommendation: 1, reasons: [], remediation: [] }), undefined);
});

test('configuration (strongSwan option names accepted too)', async () => {
  assert.deepEqual(testImcConfig({ command: 'allow', retry: 'yes', retry_command: 'block', dummy_size: 8 }), {
    command: 'allow',
    retry: true,
    retryCommand: 'block',
    dummySize: 8,
    noskip: true,
  });
  assert.throws(() => testImcConfig({ dummySize: -1 }), { code: 'ERR_CONFIG' });
  assert.throws(() => testImcConfig({ command: 3 }), { code: 'ERR_CONFIG' });
  assert.equal(createImc({}).name, 'test');
});
