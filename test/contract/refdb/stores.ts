/**
 * Runs one contract test against every RefStore implementation: SQLite (a file in a temp dir, WAL) and PostgreSQL
 * (one private server per test file from test/support/postgres.ts, one fresh database per test).
 */
import { after, test, type TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requires } from '../../support/env.ts';
import { POSTGRES_COMMANDS, startPostgres, type PostgresInstance } from '../../support/postgres.ts';
import { openStore } from '../../../src/refdb/open.ts';
import type { RefStore } from '../../../src/refdb/store.ts';

export type StoreKind = 'sqlite' | 'postgres';

export interface StoreContext {
  kind: StoreKind;
  uri: string;
  /** URI of another, empty database of the same kind. */
  fresh(): Promise<string>;
}

let server: Promise<PostgresInstance> | undefined;
let dbSeq = 0;
after(async () => {
  if (server) await (await server).stop();
});

function postgres(): Promise<PostgresInstance> {
  server ??= startPostgres();
  return server;
}

/** Registers `title [sqlite]` and `title [postgres]`. */
export function forEachStore(
  title: string,
  fn: (store: RefStore, c: StoreContext, t: TestContext) => Promise<void>,
): void {
  test(`${title} [sqlite]`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'attestd-refdb-'));
    let n = 0;
    const fresh = async () => `sqlite:${join(dir, `db${++n}.sqlite`)}`;
    const uri = await fresh();
    const store = await openStore(uri);
    try {
      await fn(store, { kind: 'sqlite', uri, fresh }, t);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test(`${title} [postgres]`, async (t) => {
    if (!requires(t, { commands: POSTGRES_COMMANDS })) return;
    const pg = await postgres();
    const fresh = () => pg.createDatabase(`t${process.pid}_${++dbSeq}`);
    const uri = await fresh();
    const store = await openStore(uri);
    try {
      await fn(store, { kind: 'postgres', uri, fresh }, t);
    } finally {
      await store.close();
    }
  });
}
