/**
 * node:sqlite (`DatabaseSync`, built into Node 24) as a SqlDriver.
 *
 * Durability: `journal_mode=WAL` with `synchronous=FULL`. In WAL mode a commit appends the transaction's pages and a
 * commit record to the -wal file before COMMIT returns; with FULL the WAL is fsync'd on every commit. A `kill -9` of
 * our process cannot lose a committed result even with NORMAL (the written WAL pages live in the kernel's page
 * cache, which outlives the process), but NORMAL may lose the last commits on power loss or a kernel crash. FULL
 * closes that too, for one fsync per commit; bulk imports are one transaction per batch, so they pay it rarely.
 * `busy_timeout` lets a second process (the CLI next to the daemon) wait for the writer instead of failing.
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { ConfigError } from '../common/errors.ts';
import type { ColumnType, Dialect, Row, RowSet, RunResult, SqlDriver, SqlExecutor, SqlValue } from './sql.ts';

/** Rows per multi-row VALUES of `chunks` (columns · rows stays far below SQLite's 32,766 parameters). */
const CHUNK_ROWS = 512;

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  idColumn: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  blob: 'BLOB',
  join: 'CROSS JOIN',
  bulkSettings: [],
  analyze: [],
  unhex: (e) => `unhex(${e})`,
  rows(
    columns: readonly (readonly [string, ColumnType])[],
    rows: readonly (readonly (string | number | null)[])[],
  ): RowSet {
    const cols = columns.map(([name], i) => `j.value->>${i} AS ${name}`).join(', ');
    return { sql: `(SELECT ${cols} FROM json_each(?) AS j)`, params: [JSON.stringify(rows)] };
  },
  chunks(columns, data) {
    const out: RowSet[] = [];
    const cols = columns.map(([name], i) => `column${i + 1} AS ${name}`).join(', ');
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const n = data[0]?.length ?? 0;
    for (let i = 0; i < n;) {
      const size = n - i >= CHUNK_ROWS ? CHUNK_ROWS : 2 ** Math.floor(Math.log2(n - i));
      const params: SqlValue[] = [];
      for (let r = i; r < i + size; r++) for (let c = 0; c < columns.length; c++) params.push(data[c]?.[r] ?? null);
      out.push({ sql: `(SELECT ${cols} FROM (VALUES ${`${tuple}, `.repeat(size - 1)}${tuple}))`, params });
      i += size;
    }
    return out;
  },
};

export type Synchronous = 'FULL' | 'NORMAL';

export interface SqliteOptions {
  synchronous?: Synchronous;
  busyTimeoutMs?: number;
  readOnly?: boolean;
}

function bind(params: readonly SqlValue[]): SQLInputValue[] {
  return params as SQLInputValue[];
}

class SqliteExecutor implements SqlExecutor {
  readonly dialect = sqliteDialect;
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  prepare(sql: string): ReturnType<DatabaseSync['prepare']> {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      if (this.#cache.size > 256) this.#cache.clear();
      this.#cache.set(sql, s);
    }
    return s;
  }
  async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.prepare(sql).all(...bind(params)) as T[];
  }
  async get<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.prepare(sql).get(...bind(params)) as T | undefined;
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    const r = this.prepare(sql).run(...bind(params));
    return { changes: Number(r.changes) };
  }
  async exec(sql: string): Promise<void> {
    this.#db.exec(sql);
  }
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = sqliteDialect;
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #x: SqliteExecutor;
  /** Tail of the queue of transactions and statements waiting for one. */
  #lock: Promise<void> = Promise.resolve();

  constructor(path: string, o: SqliteOptions = {}) {
    this.path = path;
    try {
      this.#db = new DatabaseSync(path, { readOnly: o.readOnly ?? false });
    } catch (e) {
      throw new ConfigError(`cannot open SQLite database ${path}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
    this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(o.busyTimeoutMs ?? 5000))}`);
    if (!o.readOnly && path !== ':memory:') this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(`PRAGMA synchronous = ${o.synchronous ?? 'FULL'}`);
    this.#db.exec('PRAGMA foreign_keys = ON');
    // 64 MiB of page cache (default 2 MiB): a million-row import otherwise rereads its own B-tree pages from the WAL.
    this.#db.exec('PRAGMA cache_size = -65536');
    this.#x = new SqliteExecutor(this.#db);
  }

  /** Runs fn after every queued transaction; keeps the queue going when fn fails. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#lock.then(fn);
    this.#lock = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#serial(() => this.#x.all<T>(sql, params));
  }
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#serial(() => this.#x.get<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.#serial(() => this.#x.run(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.#serial(() => this.#x.exec(sql));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn(this.#x);
        this.#db.exec('COMMIT');
        return r;
      } catch (e) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  /** The journal mode and synchronous level in force (for tests and `refdb status`). */
  pragmas(): { journalMode: string; synchronous: number } {
    const j = this.#db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
    const s = this.#db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    return { journalMode: j.journal_mode, synchronous: Number(s.synchronous) };
  }

  async close(): Promise<void> {
    await this.#lock;
    if (this.#db.isOpen) this.#db.close();
  }
}
