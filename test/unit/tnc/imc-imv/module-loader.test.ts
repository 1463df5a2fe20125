/** Loading collectors and verifiers by built-in name or module path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadImc, loadImv } from '../../../../src/tnc/imc-imv/index.ts';
import { createImc as testImc } from '../../../../src/imc/test/index.ts';
import { createImv as osImv } from '../../../../src/imv/os/index.ts';

const path = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

test('built-in names, module paths, and clear errors', async () => {
  const a = await loadImc({ name: 'test', config: { command: 'block' } }, { test: testImc });
  assert.equal(a.name, 'test');
  const b = await loadImc({ name: path('../../../../src/imc/os/index.ts') }, {});
  assert.equal(b.name, 'os');
  const c = await loadImv({ name: 'os', config: { forwardingOff: false } }, { os: osImv });
  assert.equal(c.subscriptions[0]?.subtype, 1);
  await assert.rejects(loadImv({ name: 'nosuch' }, { os: osImv }), {
    code: 'ERR_CONFIG',
    message: /unknown IMV 'nosuch'/,
  });
  await assert.rejects(loadImv({ name: path('../../../../src/imc/os/index.ts') }, {}), {
    code: 'ERR_CONFIG',
    message: /does not export createImv/,
  });
  await assert.rejects(loadImc({ name: '/nonexistent/imc.ts' }, {}), { code: 'ERR_CONFIG' });
  await assert.rejects(loadImc({ name: 'test', config: { dummySize: 'big' } }, { test: testImc }), {
    code: 'ERR_CONFIG',
  });
});
