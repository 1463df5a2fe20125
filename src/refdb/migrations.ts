/**
 * Versioned schema migrations, applied in order and recorded in `schema_version`; one numbering for SQLite and
 * PostgreSQL (the DDL differs only where the Dialect says). A migration and its `schema_version` row commit in one
 * transaction, and each step re-reads the version under a lock, so two processes opening a new database at once
 * apply every step exactly once. Never edit a released migration: add the next one.
 *
 * The data model follows strongSwan's IMV database (src/libimcv/imv/tables.sql): products, devices, groups with
 * parents and product defaults, policies, enforcements, sessions, work items, results, directories/files/file
 * hashes, packages/versions, components/component hashes, SWID tags and events. Deliberate differences: digests
 * are bytes and algorithms are names (`sha256`); file hashes are keyed by product and a version label rather than
 * a versions row; devices are unique by value (the AIK key id); groups carry a trust-on-first-use flag (v2); every verifier's verdict on a session is kept with its reasons
 * (`verdicts`, v3), beside strongSwan's per-policy results; a counter that every change of reference hashes bumps
 * lets verifiers cache them (v4).
 * The bulk tables (files.dir, file_hashes.file/product) declare no foreign keys: their rows are only ever inserted
 * by joining the parent rows (store.ts), and per-row FK triggers were half of PostgreSQL's import time.
 */
import { ConfigError } from '../common/errors.ts';
import type { Dialect, SqlDriver } from './sql.ts';
import { num } from './sql.ts';

export interface Migration {
  version: number;
  name: string;
  sql(d: Dialect): string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'reference and policy tables',
    sql: (d) => `
CREATE TABLE products (id ${d.idColumn}, name TEXT NOT NULL UNIQUE);
CREATE TABLE directories (id ${d.idColumn}, path TEXT NOT NULL UNIQUE);
CREATE TABLE files (id ${d.idColumn}, dir INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (dir, name));
CREATE TABLE file_hashes (
  id ${d.idColumn}, file INTEGER NOT NULL, product INTEGER NOT NULL,
  version TEXT NOT NULL DEFAULT '', algo TEXT NOT NULL, digest ${d.blob} NOT NULL,
  UNIQUE (product, file, algo, version));
CREATE TABLE groups (id ${d.idColumn}, name TEXT NOT NULL UNIQUE, parent INTEGER REFERENCES groups(id));
CREATE TABLE devices (
  id ${d.idColumn}, value TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
  product INTEGER REFERENCES products(id), trusted INTEGER NOT NULL DEFAULT 0, created BIGINT,
  inactive INTEGER NOT NULL DEFAULT 0);
CREATE TABLE groups_members (
  id ${d.idColumn}, group_id INTEGER NOT NULL REFERENCES groups(id),
  device_id INTEGER NOT NULL REFERENCES devices(id), UNIQUE (group_id, device_id));
CREATE INDEX groups_members_device ON groups_members (device_id);
CREATE TABLE groups_product_defaults (
  id ${d.idColumn}, group_id INTEGER NOT NULL REFERENCES groups(id),
  product_id INTEGER NOT NULL REFERENCES products(id), UNIQUE (group_id, product_id));
CREATE TABLE policies (
  id ${d.idColumn}, type INTEGER NOT NULL, name TEXT NOT NULL UNIQUE, argument TEXT NOT NULL DEFAULT '',
  rec_fail INTEGER NOT NULL, rec_noresult INTEGER NOT NULL, file INTEGER REFERENCES files(id),
  dir INTEGER REFERENCES directories(id));
CREATE TABLE enforcements (
  id ${d.idColumn}, policy INTEGER NOT NULL REFERENCES policies(id), group_id INTEGER NOT NULL REFERENCES groups(id),
  rec_fail INTEGER, rec_noresult INTEGER, max_age BIGINT NOT NULL, UNIQUE (policy, group_id));
CREATE TABLE sessions (
  id ${d.idColumn}, time BIGINT NOT NULL, connection INTEGER NOT NULL DEFAULT 0, identity TEXT NOT NULL DEFAULT '',
  device INTEGER REFERENCES devices(id), product INTEGER REFERENCES products(id), rec INTEGER NOT NULL DEFAULT 3);
CREATE INDEX sessions_device ON sessions (device, time);
CREATE TABLE workitems (
  id ${d.idColumn}, session INTEGER NOT NULL REFERENCES sessions(id),
  enforcement INTEGER NOT NULL REFERENCES enforcements(id), type INTEGER NOT NULL, arg_str TEXT NOT NULL DEFAULT '',
  arg_int BIGINT NOT NULL DEFAULT 0, rec_fail INTEGER NOT NULL, rec_noresult INTEGER NOT NULL, rec_final INTEGER,
  result TEXT);
CREATE INDEX workitems_session ON workitems (session);
CREATE TABLE results (
  id ${d.idColumn}, session INTEGER NOT NULL REFERENCES sessions(id), policy INTEGER NOT NULL REFERENCES policies(id),
  rec INTEGER NOT NULL, result TEXT NOT NULL);
CREATE INDEX results_session ON results (session);
CREATE INDEX results_policy ON results (policy, session);
CREATE TABLE components (
  id ${d.idColumn}, vendor_id INTEGER NOT NULL, name INTEGER NOT NULL, qualifier INTEGER NOT NULL DEFAULT 0,
  label TEXT NOT NULL DEFAULT '', UNIQUE (vendor_id, name, qualifier));
CREATE TABLE component_hashes (
  id ${d.idColumn}, component INTEGER NOT NULL REFERENCES components(id),
  device INTEGER NOT NULL REFERENCES devices(id), seq_no INTEGER NOT NULL, pcr INTEGER NOT NULL, algo TEXT NOT NULL,
  digest ${d.blob} NOT NULL, UNIQUE (component, device, algo, seq_no));
CREATE TABLE packages (id ${d.idColumn}, name TEXT NOT NULL UNIQUE, blacklist INTEGER NOT NULL DEFAULT 0);
CREATE TABLE versions (
  id ${d.idColumn}, product INTEGER NOT NULL REFERENCES products(id), package INTEGER NOT NULL REFERENCES packages(id),
  release TEXT NOT NULL, security INTEGER NOT NULL DEFAULT 0, blacklist INTEGER NOT NULL DEFAULT 0,
  time BIGINT NOT NULL DEFAULT 0, UNIQUE (package, product, release));
CREATE TABLE swid_tags (
  id ${d.idColumn}, version_id INTEGER REFERENCES versions(id), package_name TEXT NOT NULL, version_str TEXT NOT NULL,
  unique_id TEXT NOT NULL, software_id TEXT NOT NULL UNIQUE, swid_xml TEXT NOT NULL DEFAULT '');
CREATE TABLE swid_events (
  id ${d.idColumn}, device INTEGER NOT NULL REFERENCES devices(id), epoch BIGINT NOT NULL, eid BIGINT NOT NULL,
  timestamp TEXT NOT NULL, UNIQUE (device, epoch, eid));
CREATE TABLE swid_tags_events (
  id ${d.idColumn}, tag_id INTEGER NOT NULL REFERENCES swid_tags(id), event_id INTEGER NOT NULL REFERENCES swid_events(id),
  action INTEGER NOT NULL, record_id INTEGER NOT NULL DEFAULT 0, source_id INTEGER NOT NULL DEFAULT 0);
CREATE INDEX swid_tags_events_event ON swid_tags_events (event_id);
`,
  },
  {
    version: 2,
    name: 'trust on first use, per group',
    sql: () => `ALTER TABLE groups ADD COLUMN tofu INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 3,
    name: 'verifier verdicts per session, with their reasons',
    sql: (d) => `
CREATE TABLE verdicts (
  id ${d.idColumn}, session INTEGER NOT NULL REFERENCES sessions(id), imv TEXT NOT NULL,
  rec INTEGER NOT NULL, evaluation INTEGER NOT NULL, reasons TEXT NOT NULL DEFAULT '');
CREATE INDEX verdicts_session ON verdicts (session);`,
  },
  {
    version: 4,
    name: 'generation of the reference hashes, for verifier caches',
    sql: () => `
CREATE TABLE reference_generation (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO reference_generation (id, n) VALUES (1, 0);`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

const CREATE_VERSION_TABLE =
  'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)';

export async function schemaVersion(db: SqlDriver): Promise<number> {
  await db.exec(CREATE_VERSION_TABLE);
  const r = await db.get('SELECT MAX(version) AS v FROM schema_version');
  return num(r?.v);
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

/** Applies every migration above the recorded version, up to `target` (default: the latest). */
export async function migrate(
  db: SqlDriver,
  o: { target?: number; migrations?: readonly Migration[]; now?: () => number } = {},
): Promise<MigrateResult> {
  const list = o.migrations ?? MIGRATIONS;
  const target = o.target ?? list[list.length - 1]?.version ?? 0;
  const now = o.now ?? Date.now;
  const from = await schemaVersion(db);
  const latest = list[list.length - 1]?.version ?? 0;
  if (from > latest) {
    throw new ConfigError(`database schema version ${from} is newer than this attestd (${latest}); upgrade attestd`);
  }
  const applied: number[] = [];
  for (const m of list) {
    if (m.version > target) break;
    const done = await db.transaction(async (tx) => {
      if (tx.dialect.name === 'postgres') await tx.exec('LOCK TABLE schema_version IN EXCLUSIVE MODE');
      const cur = num((await tx.get('SELECT MAX(version) AS v FROM schema_version'))?.v);
      if (cur >= m.version) return false;
      if (cur !== m.version - 1)
        throw new ConfigError(`migration ${m.version} needs version ${m.version - 1}, have ${cur}`);
      await tx.exec(m.sql(tx.dialect));
      await tx.run('INSERT INTO schema_version (version, name, applied) VALUES (?, ?, ?)', [m.version, m.name, now()]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return { from, to: await schemaVersion(db), applied };
}
