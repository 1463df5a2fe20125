/**
 * Child of kill9.test.ts: opens the store at argv[2] and commits sessions with a result in a loop, one transaction
 * each, printing `committed <id>` only after COMMIT returned. The parent kills it with SIGKILL at some point.
 */
import { openStore } from '../../../src/refdb/open.ts';

const store = await openStore(process.argv[2]!, { migrate: false });
const product = await store.addProduct('kill9');
const policy = await store.addPolicy({ type: 1, name: 'kill9 packages', recFail: 2, recNoResult: 2 });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const id = await store.transaction(async (s) => {
    const session = await s.createSession({ time: 1_700_000_000 + i, product });
    return s.addResult({ session, policy, rec: 0, result: `result ${i}` });
  });
  process.stdout.write(`committed ${id}\n`);
}
