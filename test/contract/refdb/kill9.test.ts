/**
 * A kill -9 loses no committed result, on both stores: a child process commits results in a loop and reports each
 * id after its COMMIT returned; the parent SIGKILLs it mid-loop, reopens the store and asserts that every reported
 * id is there (and that the database is still usable).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { openStore } from '../../../src/refdb/open.ts';
import { forEachStore } from './stores.ts';

const CHILD = new URL('./kill9-child.ts', import.meta.url).pathname;

forEachStore('kill -9 of a writer loses no committed result', async (store, c) => {
  if (c.kind === 'sqlite') {
    assert.deepEqual((store.driver as unknown as { pragmas(): unknown }).pragmas(), {
      journalMode: 'wal',
      synchronous: 2,
    });
  }
  await store.close();
  const child = spawn(process.execPath, [CHILD, c.uri], { stdio: ['ignore', 'pipe', 'inherit'] });
  const committed: number[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  try {
    const lines = createInterface({ input: child.stdout });
    const target = 150 + Math.floor(Math.random() * 100);
    for await (const line of lines) {
      const m = /^committed (\d+)$/.exec(line);
      if (m) committed.push(Number(m[1]));
      if (committed.length === target) {
        child.kill('SIGKILL');
        break;
      }
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  assert.ok(committed.length >= 150, `child committed ${committed.length} before the kill`);
  const again = await openStore(c.uri);
  try {
    const present = await again.existingResults(committed);
    const lost = committed.filter((id) => !present.has(id));
    assert.deepEqual(lost, [], 'every reported id survived');
    assert.ok((await again.listResults({ limit: 1_000_000 })).length >= committed.length);
    assert.ok((await again.addProduct('after the kill')) > 0);
  } finally {
    await again.close();
  }
});
