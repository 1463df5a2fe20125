/**
 * The one seam between the reference store and a database engine: a tiny SQL driver interface that both node:sqlite
 * and PostgreSQL implement. Statements are written once with `?` placeholders in the SQL both engines accept
 * (`INSERT … RETURNING id`, `ON CONFLICT … DO …`); what differs (DDL types, hex decoding, bulk row sources) is asked
 * of the `Dialect`.
 */

/** A parameter. Arrays only reach PostgreSQL (unnest row sources). */
export type SqlValue = string | number | bigint | null | Uint8Array | readonly (string | number | null)[];
export type Row = Record<string, unknown>;

export type DialectName = 'sqlite' | 'postgres';
export type ColumnType = 'text' | 'int';

/** A bulk row source: a SQL fragment usable as a table (`… FROM <sql> AS r`) and its parameters. */
export interface RowSet {
  sql: string;
  params: SqlValue[];
}

export interface Dialect {
  readonly name: DialectName;
  /** `INTEGER PRIMARY KEY` that numbers itself. */
  readonly idColumn: string;
  readonly blob: string;
  /**
   * The join that keeps a bulk row source as the outer loop: SQLite's planner may otherwise put json_each inside
   * and rescan it per row (quadratic); `CROSS JOIN … ON` pins the order there. PostgreSQL plans it well with JOIN.
   */
  readonly join: string;
  /**
   * Statements run at the start of a bulk transaction. PostgreSQL: inside one import transaction the tables grow
   * by millions of rows that the planner's statistics have not seen, and it picks hash joins over whole-table scans
   * per batch, or a sequential scan of a table it believes empty as the inner side of a nested loop (quadratic);
   * index nested loops from the row source outwards are right for batch-sized row sources, so the join order is
   * pinned as written (join_collapse_limit = 1, like SQLite's CROSS JOIN) and hash joins, merge joins and
   * sequential scans are switched off for that transaction (SET LOCAL). Lookups run the same way.
   */
  readonly bulkSettings: readonly string[];
  /**
   * Statements run after every import so that the planner sees the new rows (PostgreSQL: ANALYZE; without it a
   * first small import leaves the tables looking empty and a 4,000-path lookup took 30 s instead of 45 ms).
   */
  readonly analyze: readonly string[];
  /** SQL expression decoding a lowercase hex text expression to bytes. */
  unhex(expr: string): string;
  /**
   * Rows as a table with the named columns, in one parameter per batch (SQLite: a JSON array under json_each;
   * PostgreSQL: one array per column under unnest), so that a batch is one statement, not one per row.
   */
  rows(
    columns: readonly (readonly [string, ColumnType])[],
    rows: readonly (readonly (string | number | null)[])[],
  ): RowSet;
  /**
   * Rows given by column (`data[c][r]`) as row sources for a statement run once per source (`INSERT … SELECT …
   * FROM <sql>`, or a lookup), for the bulk work of an import. PostgreSQL: one source, as `rows`. SQLite: multi-row
   * VALUES of a few fixed sizes (512 rows, then powers of two), so that each size is one prepared statement reused
   * across the import; binding parameters costs less there than building JSON and reading it back with json_each.
   */
  chunks(
    columns: readonly (readonly [string, ColumnType])[],
    data: readonly (readonly (string | number | null)[])[],
  ): RowSet[];
}

export interface RunResult {
  changes: number;
}

/** Statement execution on one connection (or one transaction). */
export interface SqlExecutor {
  readonly dialect: Dialect;
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /** Runs several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
}

export interface SqlDriver extends SqlExecutor {
  /**
   * Runs fn in one transaction: committed when fn resolves, rolled back when it throws. Statements issued through
   * the driver itself while a transaction is open wait for it (SQLite shares one connection).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, …` (our SQL never holds a literal `?`). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Coerces a database integer (number, bigint or numeric string) to a JS number. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}

export function optNum(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(0);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}
