/**
 * Opens a reference store from a URI: `sqlite:PATH` (or a bare path, or `sqlite::memory:`) for the embedded default,
 * `postgres://…` / `postgresql://…` for PostgreSQL. Migrates to the latest schema unless told not to.
 */
import { ConfigError } from '../common/errors.ts';
import { PostgresDriver } from './postgres.ts';
import { SqliteDriver, type Synchronous } from './sqlite.ts';
import { RefStore } from './store.ts';

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** SQLite only; see sqlite.ts for why FULL is the default. */
  synchronous?: Synchronous;
}

export type StoreUri = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function parseStoreUri(uri: string): StoreUri {
  if (/^postgres(ql)?:\/\//.test(uri)) return { kind: 'postgres', url: uri };
  if (uri.startsWith('sqlite:')) {
    const path = uri.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new ConfigError(`no path in ${uri}`);
    return { kind: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new ConfigError(`unsupported database URI scheme in ${uri}`);
  if (!uri) throw new ConfigError('empty database URI');
  return { kind: 'sqlite', path: uri };
}

export async function openStore(uri: string, o: OpenOptions = {}): Promise<RefStore> {
  const u = parseStoreUri(uri);
  let store: RefStore;
  if (u.kind === 'postgres') {
    const d = new PostgresDriver(u.url);
    try {
      await d.connect();
    } catch (e) {
      await d.close().catch(() => undefined);
      throw e;
    }
    store = new RefStore(d);
  } else {
    store = new RefStore(new SqliteDriver(u.path, o.synchronous ? { synchronous: o.synchronous } : {}));
  }
  if (o.migrate ?? true) {
    try {
      await store.migrate();
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
  }
  return store;
}
