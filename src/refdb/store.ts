/**
 * The reference store: one implementation over a SqlDriver, so SQLite and PostgreSQL behave the same (the contract
 * suite in test/contract/refdb runs on both). Bulk work (reference hash and package imports, verifier lookups) is
 * one statement per batch over a row source (`Dialect.rows`), never one per file.
 *
 * Its lookup methods back the interfaces the verifiers take by injection (adapted in verifier-references.ts);
 * verifier code never imports this module.
 */
import { toHex } from '../common/bytes.ts';
import { ConfigError, LimitError, ParseError } from '../common/errors.ts';
import { DIGEST_SIZE, isHashName, type HashName } from '../measure/hash.ts';
import { LATEST_VERSION, migrate, schemaVersion, type MigrateResult } from './migrations.ts';
import type { ColumnType, Row, SqlDriver, SqlExecutor, SqlValue } from './sql.ts';
import { bytes, num, optNum, str } from './sql.ts';
import {
  isPolicyType,
  type Component,
  type ComponentHash,
  type Device,
  type Enforcement,
  type FileHashRow,
  type Group,
  type PackageInfo,
  type PackageVersionRow,
  type Policy,
  type PolicyTypeValue,
  type Product,
  type Result,
  type Session,
  type StoredHash,
  type SwidEvent,
  type SwidTag,
  type Verdict,
  type WorkItem,
} from './types.ts';

/** Rows per bulk statement. */
export const BATCH = 10_000;
const HEX = /^[0-9a-f]*$/;

/** Splits `/usr/bin/ls` into `/usr/bin` and `ls` (strongSwan's directories/files split); `/x` → `/`, `x`. */
export function splitPath(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf('/');
  if (i < 0) return { dir: '', name: path };
  return { dir: i === 0 ? '/' : path.slice(0, i), name: path.slice(i + 1) };
}

/** Inverse of splitPath for every path that does not start with `//` (measured paths are normalized). */
export function joinPath(dir: string, name: string): string {
  if (dir === '') return name;
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function bool(v: unknown): boolean {
  return num(v) !== 0;
}

function policyOf(r: Row): Policy {
  const type = num(r.type);
  if (!isPolicyType(type)) throw new ParseError(`unknown policy type ${type}`, 0, `policies[${num(r.id)}].type`);
  return {
    id: num(r.id),
    type,
    name: str(r.name),
    argument: str(r.argument),
    recFail: num(r.rec_fail),
    recNoResult: num(r.rec_noresult),
    file: optNum(r.file),
    dir: optNum(r.dir),
  };
}

function deviceOf(r: Row): Device {
  return {
    id: num(r.id),
    value: str(r.value),
    description: str(r.description),
    product: optNum(r.product),
    trusted: bool(r.trusted),
    created: optNum(r.created),
    inactive: bool(r.inactive),
  };
}

function groupOf(r: Row): Group {
  return { id: num(r.id), name: str(r.name), parent: optNum(r.parent), tofu: bool(r.tofu) };
}

function sessionOf(r: Row): Session {
  return {
    id: num(r.id),
    time: num(r.time),
    connection: num(r.connection),
    identity: str(r.identity),
    device: optNum(r.device),
    product: optNum(r.product),
    rec: num(r.rec),
  };
}

function workItemOf(r: Row): WorkItem {
  const type = num(r.type);
  if (!isPolicyType(type)) throw new ParseError(`unknown work item type ${type}`, 0, `workitems[${num(r.id)}].type`);
  return {
    id: num(r.id),
    session: num(r.session),
    enforcement: num(r.enforcement),
    type,
    argStr: str(r.arg_str),
    argInt: num(r.arg_int),
    recFail: num(r.rec_fail),
    recNoResult: num(r.rec_noresult),
    recFinal: optNum(r.rec_final),
    result: r.result === null || r.result === undefined ? null : str(r.result),
  };
}

function hashName(v: unknown, where: string): HashName {
  const s = str(v);
  if (!isHashName(s)) throw new ParseError(`unknown hash algorithm '${s}'`, 0, where);
  return s;
}

function checkDigest(algo: string, hex: string, where: string): void {
  if (!isHashName(algo)) throw new ParseError(`unknown hash algorithm '${algo}'`, 0, where);
  if (hex.length !== 2 * DIGEST_SIZE[algo] || !HEX.test(hex)) throw new ParseError(`invalid ${algo} digest`, 0, where);
}

export interface PolicyInput {
  type: PolicyTypeValue;
  name: string;
  argument?: string;
  recFail: number;
  recNoResult: number;
  /** Path of the file a file policy measures. */
  file?: string;
  /** Path of the directory a directory policy measures. */
  dir?: string;
}

export interface EnforcementInput {
  policy: number;
  group: number;
  maxAge: number;
  recFail?: number | null;
  recNoResult?: number | null;
}

export interface SessionInput {
  time: number;
  connection?: number;
  identity?: string;
  device?: number | null;
  product?: number | null;
}

export type WorkItemInput = Pick<WorkItem, 'enforcement' | 'type' | 'argStr' | 'argInt' | 'recFail' | 'recNoResult'>;

export interface ResultFilter {
  session?: number;
  device?: number;
  limit?: number;
}

export class RefStore {
  readonly driver: SqlDriver;
  readonly #x: SqlExecutor;
  readonly #inTx: boolean;

  constructor(driver: SqlDriver, x: SqlExecutor = driver, inTx = false) {
    this.driver = driver;
    this.#x = x;
    this.#inTx = inTx;
  }

  get dialect(): SqlDriver['dialect']['name'] {
    return this.driver.dialect.name;
  }

  /** Runs fn with a store bound to one transaction; nested calls join the outer one. */
  transaction<T>(fn: (s: RefStore) => Promise<T>): Promise<T> {
    if (this.#inTx) return fn(this);
    return this.driver.transaction((tx) => fn(new RefStore(this.driver, tx, true)));
  }

  /** A transaction with the dialect's bulk settings (see Dialect.bulkSettings). */
  #bulk<T>(fn: (s: RefStore) => Promise<T>): Promise<T> {
    return this.transaction(async (s) => {
      for (const q of s.#x.dialect.bulkSettings) await s.#x.exec(q);
      return fn(s);
    });
  }

  migrate(target?: number): Promise<MigrateResult> {
    return migrate(this.driver, target === undefined ? {} : { target });
  }

  schemaVersion(): Promise<number> {
    return schemaVersion(this.driver);
  }

  /** Throws unless the schema is the one this code was written for (after `migrate`). */
  async checkSchema(): Promise<void> {
    const v = await this.schemaVersion();
    if (v !== LATEST_VERSION) throw new ConfigError(`database schema is version ${v}, expected ${LATEST_VERSION}`);
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  async #insertId(sql: string, params: readonly SqlValue[]): Promise<number> {
    const r = await this.#x.get(`${sql} RETURNING id`, params);
    return num(r?.id);
  }

  /** INSERT … ON CONFLICT DO NOTHING, then the id of the row by its unique key. */
  async #getOrCreate(
    table: string,
    keys: Record<string, SqlValue>,
    extra: Record<string, SqlValue> = {},
  ): Promise<number> {
    const cols = Object.keys(keys);
    const where = cols.map((c) => `${c} = ?`).join(' AND ');
    const found = await this.#x.get(`SELECT id FROM ${table} WHERE ${where}`, Object.values(keys));
    if (found) return num(found.id);
    const all = { ...keys, ...extra };
    const names = Object.keys(all);
    await this.#x.run(
      `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
      Object.values(all),
    );
    const r = await this.#x.get(`SELECT id FROM ${table} WHERE ${where}`, Object.values(keys));
    return num(r?.id);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Products, groups, devices

  addProduct(name: string): Promise<number> {
    if (!name) throw new ConfigError('product name is empty');
    return this.#getOrCreate('products', { name });
  }

  async productByName(name: string): Promise<Product | undefined> {
    const r = await this.#x.get('SELECT id, name FROM products WHERE name = ?', [name]);
    return r ? { id: num(r.id), name: str(r.name) } : undefined;
  }

  async listProducts(): Promise<Product[]> {
    return (await this.#x.all('SELECT id, name FROM products ORDER BY id')).map((r) => ({
      id: num(r.id),
      name: str(r.name),
    }));
  }

  async addGroup(g: { name: string; parent?: number | null; tofu?: boolean }): Promise<number> {
    if (!g.name) throw new ConfigError('group name is empty');
    const id = await this.#getOrCreate('groups', { name: g.name }, { parent: g.parent ?? null, tofu: g.tofu ? 1 : 0 });
    await this.#x.run('UPDATE groups SET parent = ?, tofu = ? WHERE id = ?', [g.parent ?? null, g.tofu ? 1 : 0, id]);
    return id;
  }

  async listGroups(): Promise<Group[]> {
    return (await this.#x.all('SELECT id, name, parent, tofu FROM groups ORDER BY id')).map(groupOf);
  }

  async groupByName(name: string): Promise<Group | undefined> {
    const r = await this.#x.get('SELECT id, name, parent, tofu FROM groups WHERE name = ?', [name]);
    return r ? groupOf(r) : undefined;
  }

  async group(id: number): Promise<Group | undefined> {
    const r = await this.#x.get('SELECT id, name, parent, tofu FROM groups WHERE id = ?', [id]);
    return r ? groupOf(r) : undefined;
  }

  async addGroupMember(group: number, device: number): Promise<void> {
    await this.#x.run('INSERT INTO groups_members (group_id, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [
      group,
      device,
    ]);
  }

  async deviceGroups(device: number): Promise<number[]> {
    const rows = await this.#x.all('SELECT group_id FROM groups_members WHERE device_id = ? ORDER BY group_id', [
      device,
    ]);
    return rows.map((r) => num(r.group_id));
  }

  async setProductDefaultGroup(group: number, product: number): Promise<void> {
    await this.#x.run(
      'INSERT INTO groups_product_defaults (group_id, product_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      [group, product],
    );
  }

  async productDefaultGroup(product: number): Promise<number | undefined> {
    const r = await this.#x.get('SELECT group_id FROM groups_product_defaults WHERE product_id = ? ORDER BY id', [
      product,
    ]);
    return r ? num(r.group_id) : undefined;
  }

  /** Registers a device by its identity value (AIK key id); an existing device keeps its trust flag. */
  async addDevice(d: {
    value: string;
    description?: string;
    product?: number | null;
    trusted?: boolean;
  }): Promise<number> {
    if (!d.value) throw new ConfigError('device value is empty');
    const id = await this.#getOrCreate(
      'devices',
      { value: d.value },
      { description: d.description ?? '', product: d.product ?? null, trusted: d.trusted ? 1 : 0 },
    );
    return id;
  }

  async device(id: number): Promise<Device | undefined> {
    const r = await this.#x.get('SELECT * FROM devices WHERE id = ?', [id]);
    return r ? deviceOf(r) : undefined;
  }

  async deviceByValue(value: string): Promise<Device | undefined> {
    const r = await this.#x.get('SELECT * FROM devices WHERE value = ?', [value]);
    return r ? deviceOf(r) : undefined;
  }

  async listDevices(): Promise<Device[]> {
    return (await this.#x.all('SELECT * FROM devices ORDER BY id')).map(deviceOf);
  }

  async setDeviceTrusted(id: number, trusted: boolean): Promise<boolean> {
    return (await this.#x.run('UPDATE devices SET trusted = ? WHERE id = ?', [trusted ? 1 : 0, id])).changes === 1;
  }

  async setDeviceCreated(id: number, created: number): Promise<void> {
    await this.#x.run('UPDATE devices SET created = ? WHERE id = ? AND created IS NULL', [created, id]);
  }

  /** Lookup for the verifiers: is this AIK key id a known, trusted, active device? Unknown ids are not trusted. */
  async isDeviceTrusted(aikKeyId: string): Promise<boolean> {
    const r = await this.#x.get('SELECT trusted, inactive FROM devices WHERE value = ?', [aikKeyId]);
    return !!r && bool(r.trusted) && !bool(r.inactive);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Policies and enforcements

  async #directoryId(path: string): Promise<number> {
    return this.#getOrCreate('directories', { path });
  }

  async #fileId(path: string): Promise<number> {
    const { dir, name } = splitPath(path);
    return this.#getOrCreate('files', { dir: await this.#directoryId(dir), name });
  }

  async addPolicy(p: PolicyInput): Promise<number> {
    if (!p.name) throw new ConfigError('policy name is empty');
    const file = p.file ? await this.#fileId(p.file) : null;
    const dir = p.dir ? await this.#directoryId(p.dir) : null;
    const values: SqlValue[] = [p.type, p.argument ?? '', p.recFail, p.recNoResult, file, dir];
    const existing = await this.#x.get('SELECT id FROM policies WHERE name = ?', [p.name]);
    if (existing) {
      await this.#x.run(
        'UPDATE policies SET type = ?, argument = ?, rec_fail = ?, rec_noresult = ?, file = ?, dir = ? WHERE id = ?',
        [...values, num(existing.id)],
      );
      return num(existing.id);
    }
    return this.#insertId(
      'INSERT INTO policies (type, argument, rec_fail, rec_noresult, file, dir, name) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [...values, p.name],
    );
  }

  async listPolicies(): Promise<Policy[]> {
    return (await this.#x.all('SELECT * FROM policies ORDER BY id')).map(policyOf);
  }

  async policyByName(name: string): Promise<Policy | undefined> {
    const r = await this.#x.get('SELECT * FROM policies WHERE name = ?', [name]);
    return r ? policyOf(r) : undefined;
  }

  /** Path of a file or directory id (policy targets). */
  async pathOf(kind: 'file' | 'dir', id: number): Promise<string | undefined> {
    if (kind === 'dir') {
      const r = await this.#x.get('SELECT path FROM directories WHERE id = ?', [id]);
      return r ? str(r.path) : undefined;
    }
    const r = await this.#x.get(
      'SELECT d.path, f.name FROM files AS f JOIN directories AS d ON d.id = f.dir WHERE f.id = ?',
      [id],
    );
    return r ? joinPath(str(r.path), str(r.name)) : undefined;
  }

  async addEnforcement(e: EnforcementInput): Promise<number> {
    await this.#x.run(
      'INSERT INTO enforcements (policy, group_id, rec_fail, rec_noresult, max_age) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (policy, group_id) DO UPDATE SET rec_fail = excluded.rec_fail, ' +
        'rec_noresult = excluded.rec_noresult, max_age = excluded.max_age',
      [e.policy, e.group, e.recFail ?? null, e.recNoResult ?? null, e.maxAge],
    );
    const r = await this.#x.get('SELECT id FROM enforcements WHERE policy = ? AND group_id = ?', [e.policy, e.group]);
    return num(r?.id);
  }

  async listEnforcements(group?: number): Promise<Enforcement[]> {
    const rows =
      group === undefined
        ? await this.#x.all('SELECT * FROM enforcements ORDER BY id')
        : await this.#x.all('SELECT * FROM enforcements WHERE group_id = ? ORDER BY id', [group]);
    return rows.map((r) => ({
      id: num(r.id),
      policy: num(r.policy),
      group: num(r.group_id),
      recFail: optNum(r.rec_fail),
      recNoResult: optNum(r.rec_noresult),
      maxAge: num(r.max_age),
    }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sessions, work items, results

  createSession(s: SessionInput): Promise<number> {
    return this.#insertId('INSERT INTO sessions (time, connection, identity, device, product) VALUES (?, ?, ?, ?, ?)', [
      s.time,
      s.connection ?? 0,
      s.identity ?? '',
      s.device ?? null,
      s.product ?? null,
    ]);
  }

  async session(id: number): Promise<Session | undefined> {
    const r = await this.#x.get('SELECT * FROM sessions WHERE id = ?', [id]);
    return r ? sessionOf(r) : undefined;
  }

  async listSessions(o: { device?: number; limit?: number } = {}): Promise<Session[]> {
    const limit = Math.max(1, Math.min(o.limit ?? 100, 10_000));
    const rows =
      o.device === undefined
        ? await this.#x.all('SELECT * FROM sessions ORDER BY id DESC LIMIT ?', [limit])
        : await this.#x.all('SELECT * FROM sessions WHERE device = ? ORDER BY id DESC LIMIT ?', [o.device, limit]);
    return rows.map(sessionOf);
  }

  /** The device of the newest session under `identity` that identified one (the policy plan's max_age lookup). */
  async lastDeviceOfIdentity(identity: string): Promise<number | undefined> {
    const r = await this.#x.get(
      'SELECT device FROM sessions WHERE identity = ? AND device IS NOT NULL ORDER BY time DESC, id DESC LIMIT 1',
      [identity],
    );
    return r ? num(r.device) : undefined;
  }

  /** Names the peer a session is about (an assessment stored under the policy engine's session). */
  async setSessionIdentity(id: number, identity: string): Promise<void> {
    await this.#x.run('UPDATE sessions SET identity = ? WHERE id = ?', [identity, id]);
  }

  async setSessionRecommendation(id: number, rec: number): Promise<void> {
    await this.#x.run('UPDATE sessions SET rec = ? WHERE id = ?', [rec, id]);
  }

  async addWorkItem(session: number, w: WorkItemInput): Promise<number> {
    return this.#insertId(
      'INSERT INTO workitems (session, enforcement, type, arg_str, arg_int, rec_fail, rec_noresult) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
      [session, w.enforcement, w.type, w.argStr, w.argInt, w.recFail, w.recNoResult],
    );
  }

  async workItems(session: number): Promise<WorkItem[]> {
    return (await this.#x.all('SELECT * FROM workitems WHERE session = ? ORDER BY id', [session])).map(workItemOf);
  }

  async setWorkItemResult(id: number, result: string, recFinal: number): Promise<boolean> {
    const r = await this.#x.run('UPDATE workitems SET result = ?, rec_final = ? WHERE id = ?', [result, recFinal, id]);
    return r.changes === 1;
  }

  async deleteWorkItems(session: number): Promise<void> {
    await this.#x.run('DELETE FROM workitems WHERE session = ?', [session]);
  }

  addResult(r: { session: number; policy: number; rec: number; result: string }): Promise<number> {
    return this.#insertId('INSERT INTO results (session, policy, rec, result) VALUES (?, ?, ?, ?)', [
      r.session,
      r.policy,
      r.rec,
      r.result,
    ]);
  }

  addVerdict(v: Omit<Verdict, 'id'>): Promise<number> {
    return this.#insertId('INSERT INTO verdicts (session, imv, rec, evaluation, reasons) VALUES (?, ?, ?, ?, ?)', [
      v.session,
      v.imv,
      v.rec,
      v.evaluation,
      v.reasons.join('\n'),
    ]);
  }

  /** The verdicts of a session, in the order they were stored. */
  async verdicts(session: number): Promise<Verdict[]> {
    const rows = await this.#x.all('SELECT * FROM verdicts WHERE session = ? ORDER BY id', [session]);
    return rows.map((r) => ({
      id: num(r.id),
      session: num(r.session),
      imv: str(r.imv),
      rec: num(r.rec),
      evaluation: num(r.evaluation),
      reasons: str(r.reasons) === '' ? [] : str(r.reasons).split('\n'),
    }));
  }

  async listResults(f: ResultFilter = {}): Promise<(Result & { time: number; device: number | null })[]> {
    const limit = Math.max(1, Math.min(f.limit ?? 1000, 1_000_000));
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (f.session !== undefined) {
      where.push('r.session = ?');
      params.push(f.session);
    }
    if (f.device !== undefined) {
      where.push('s.device = ?');
      params.push(f.device);
    }
    const rows = await this.#x.all(
      'SELECT r.id, r.session, r.policy, r.rec, r.result, s.time, s.device FROM results AS r ' +
        `JOIN sessions AS s ON s.id = r.session ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
        'ORDER BY r.id LIMIT ?',
      [...params, limit],
    );
    return rows.map((r) => ({
      id: num(r.id),
      session: num(r.session),
      policy: num(r.policy),
      rec: num(r.rec),
      result: str(r.result),
      time: num(r.time),
      device: optNum(r.device),
    }));
  }

  /** Ids of the given results that exist (the kill -9 test checks committed ids in one query). */
  async existingResults(ids: readonly number[]): Promise<Set<number>> {
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i += BATCH) {
      const rs = this.#x.dialect.rows(
        [['id', 'int']],
        ids.slice(i, i + BATCH).map((id) => [id]),
      );
      const rows = await this.#x.all(
        `SELECT r.id FROM ${rs.sql} AS q ${this.#x.dialect.join} results AS r ON r.id = q.id`,
        rs.params,
      );
      for (const r of rows) out.add(num(r.id));
    }
    return out;
  }

  /** The newest result of a policy for a device since `since` (seconds), as strongSwan's max_age check reads it. */
  async latestResult(
    policy: number,
    device: number,
    since: number,
  ): Promise<{ rec: number; time: number } | undefined> {
    const r = await this.#x.get(
      'SELECT r.rec, s.time FROM results AS r JOIN sessions AS s ON s.id = r.session ' +
        'WHERE r.policy = ? AND s.device = ? AND s.time > ? ORDER BY s.time DESC, r.id DESC LIMIT 1',
      [policy, device, since],
    );
    return r ? { rec: num(r.rec), time: num(r.time) } : undefined;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reference file hashes

  /**
   * Imports reference hashes for a product (and version label), replacing the digest of a (path, algorithm,
   * version) already present. One transaction. The directories met are kept for the whole import (their ids, and
   * which batches created or touched files in them), so that a batch of BATCH rows costs one INSERT of its new files
   * and one of its hashes, plus lookups only for files that may exist already.
   */
  async importFileHashes(product: number, rows: Iterable<FileHashRow>, version = ''): Promise<number> {
    return this.#bulk(async (s) => {
      // A product version without hashes yet needs no replace step for files new to the import.
      const replace = !!(await s.#x.get('SELECT 1 AS x FROM file_hashes WHERE product = ? AND version = ? LIMIT 1', [
        product,
        version,
      ]));
      const dirs = new Map<string, { id: number; fresh: boolean; created: number; touched: number }>();
      // Per algorithm met: the length of its hex digests.
      const hexLength = new Map<string, number>();
      const newBatch = () => ({
        paths: [] as string[],
        algos: [] as string[],
        hexes: [] as string[],
        // The batch's newest row of each path, and per row the path's previous row (-1): the rows of one path.
        last: new Map<string, number>(),
        prev: [] as number[],
      });
      let count = 0;
      let seq = 0;
      let b = newBatch();
      // The previous batch's last statement, at work (PostgreSQL: in the server) while this batch is collected.
      let pending: Promise<unknown> | undefined;
      const flush = async () => {
        if (!b.paths.length) return;
        const full = b;
        b = newBatch();
        count += full.paths.length;
        await pending;
        pending = undefined;
        pending = (await s.#importBatch(product, version, full, ++seq, replace, dirs)).done;
        // Awaited before the next batch or the end; this keeps a failure meanwhile from counting as unhandled.
        pending.catch(() => undefined);
      };
      try {
        for (const r of rows) {
          const { path, algo, digest } = r;
          const len = hexLength.get(algo);
          if (len === undefined || digest.length !== len || !HEX.test(digest)) {
            checkDigest(algo, digest, `file_hashes[${JSON.stringify(path.slice(0, 100))}]`);
            hexLength.set(algo, digest.length);
          }
          if (!path) throw new ParseError('empty path', 0, 'file_hashes.path');
          if (path.length > 4096) throw new LimitError('refdb.maxPathLength', `${path.length} characters`);
          const head = b.last.get(path);
          let at = head ?? -1;
          while (at >= 0 && b.algos[at] !== algo) at = b.prev[at] ?? -1;
          if (at >= 0) {
            // Repeated within the batch: the last digest wins. (Repeated after its batch went out: the later batch
            // replaces it, see #importBatch.)
            b.hexes[at] = digest;
            continue;
          }
          b.last.set(path, b.paths.length);
          b.prev.push(head ?? -1);
          b.paths.push(path);
          b.algos.push(algo);
          b.hexes.push(digest);
          if (b.paths.length >= BATCH) await flush();
        }
        await flush();
        await pending;
      } catch (e) {
        // Nothing may run after the rollback: let the statement at work finish first.
        await pending?.catch(() => undefined);
        throw e;
      }
      if (count > 0) for (const q of s.#x.dialect.analyze) await s.#x.exec(q);
      // In the import's transaction: a verifier that sees the new generation sees the new hashes.
      await s.#x.run('UPDATE reference_generation SET n = n + 1 WHERE id = 1');
      return count;
    });
  }

  /**
   * Changes with every import of reference hashes (committed). Verifiers keep looked-up hashes while it stays the
   * same: one tiny query per attestation instead of one per batch of paths.
   */
  async referenceGeneration(): Promise<number> {
    return num((await this.#x.get('SELECT n FROM reference_generation WHERE id = 1'))?.n);
  }

  /**
   * Batch `seq` of an import: ids for its directories and files (new rows, or lookups where a file may exist), then
   * its hashes. Resolves once the batch's last, largest statement is sent, with that statement's completion in
   * `done`: the caller collects the next batch while the server (PostgreSQL) works. Row sources carry positions
   * (`k`) rather than keys, so that answers map back without building strings.
   */
  async #importBatch(
    product: number,
    version: string,
    b: { readonly paths: readonly string[]; readonly algos: readonly string[]; readonly hexes: readonly string[] },
    seq: number,
    replace: boolean,
    dirs: Map<string, { id: number; fresh: boolean; created: number; touched: number }>,
  ): Promise<{ done: Promise<unknown> }> {
    const x = this.#x;
    const d = x.dialect;
    const pg = d.name === 'postgres';
    // The batch's paths, each with its directory (consecutive paths mostly share one: split once) and name.
    const uPath = [...new Set(b.paths)];
    const uDir: string[] = [];
    const uName: string[] = [];
    const newDirs = new Set<string>();
    let dir = '';
    for (const path of uPath) {
      const i = path.lastIndexOf('/');
      if (!(i > 1 && i === dir.length && path.startsWith(dir))) {
        dir = splitPath(path).dir;
        if (!dirs.has(dir)) newDirs.add(dir);
      }
      uDir.push(dir);
      uName.push(path.slice(i + 1));
    }
    // Directories: existing ones, then new ones (fresh: they hold no file from before this import).
    const dirIds = async (sql: string, paths: readonly string[], fresh: boolean) => {
      for (const rs of d.chunks([['d', 'text']], [paths]))
        for (const r of await x.all(
          sql.replace('$ROWS', () => rs.sql),
          rs.params,
        ))
          dirs.set(str(r.path), { id: num(r.id), fresh, created: 0, touched: 0 });
    };
    const byPath = `SELECT dd.id, dd.path FROM $ROWS AS q ${d.join} directories AS dd ON dd.path = q.d`;
    if (newDirs.size) await dirIds(byPath, [...newDirs], false);
    const missing = [...newDirs].filter((p) => !dirs.has(p));
    if (missing.length) {
      await dirIds(
        'INSERT INTO directories (path) SELECT q.d FROM $ROWS AS q WHERE true ON CONFLICT DO NOTHING RETURNING id, path',
        missing,
        true,
      );
      // Created by a concurrent import meanwhile (PostgreSQL): DO NOTHING returned no id.
      const raced = missing.filter((p) => !dirs.has(p));
      if (raced.length) await dirIds(byPath, raced, false);
    }
    let last: { id: number; fresh: boolean; created: number; touched: number } | undefined;
    const uEntry = uDir.map((p, k) => {
      if (k === 0 || p !== uDir[k - 1]) last = dirs.get(p);
      if (!last) throw new Error(`directory ${p} has no id`);
      return last;
    });
    const dirOf = (k: number) => {
      const e = uEntry[k];
      if (!e) throw new Error(`no directory for path ${k}`);
      return e;
    };
    // Files: new in a fresh directory that no earlier batch created files in; else looked up (new if not found).
    // A hash of this product and version may exist already when replacing, or when an earlier batch touched the
    // directory (a row repeated after its batch went out).
    const fileId = new Map<string, number | null>();
    const mayExist = new Set<string>();
    const lk: number[] = [];
    const fk: number[] = [];
    for (let k = 0; k < uPath.length; k++) {
      const e = dirOf(k);
      if (e.fresh && (e.created === 0 || e.created === seq)) fk.push(k);
      else lk.push(k);
      if (replace || (e.touched !== 0 && e.touched !== seq)) mayExist.add(uPath[k] ?? '');
    }
    if (lk.length) {
      const found = new Set<number>();
      const cols = [
        ['k', 'int'],
        ['d', 'int'],
        ['n', 'text'],
      ] as const;
      const data = [lk, lk.map((k) => dirOf(k).id), lk.map((k) => uName[k] ?? '')];
      for (const rs of d.chunks(cols, data))
        for (const r of await x.all(
          `SELECT q.k, f.id FROM ${rs.sql} AS q ${d.join} files AS f ON f.dir = q.d AND f.name = q.n`,
          rs.params,
        )) {
          const k = num(r.k);
          found.add(k);
          fileId.set(uPath[k] ?? '', num(r.id));
        }
      for (const k of lk) if (!found.has(k)) fk.push(k);
    }
    for (let k = 0; k < uPath.length; k++) dirOf(k).touched = seq;
    for (const k of fk) {
      const e = dirOf(k);
      if (e.created === 0) e.created = seq;
      // A new file has no hash yet.
      mayExist.delete(uPath[k] ?? '');
    }
    if (fk.length && !pg) {
      // The import holds SQLite's write lock: number the new files here (above AUTOINCREMENT's high-water mark)
      // rather than read ids back. An id taken meanwhile would fail the INSERT on the primary key, not corrupt.
      const top = await x.get(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'files'), 0), " +
          'coalesce((SELECT max(id) FROM files), 0)) AS n',
      );
      const first = num(top?.n) + 1;
      const fid = fk.map((k, j) => {
        fileId.set(uPath[k] ?? '', first + j);
        return first + j;
      });
      const cols = [
        ['i', 'int'],
        ['d', 'int'],
        ['n', 'text'],
      ] as const;
      for (const rs of d.chunks(cols, [fid, fk.map((k) => dirOf(k).id), fk.map((k) => uName[k] ?? '')]))
        await x.run(`INSERT INTO files (id, dir, name) SELECT q.i, q.d, q.n FROM ${rs.sql} AS q`, rs.params);
    }
    // PostgreSQL creates the new files in the hashes' statement: their rows carry the directory id and name.
    const newFile = new Map<string, number>();
    if (pg) for (const k of fk) newFile.set(uPath[k] ?? '', k);
    const fileIds = b.paths.map((path) => {
      const f = fileId.get(path);
      if (f !== undefined) return f;
      if (!newFile.has(path)) throw new Error(`file ${path} has no id`);
      return null;
    });

    const unhex = d.unhex('q.h');
    if (!pg) {
      // SQLite's upsert costs little: it serves every row.
      const cols: readonly (readonly [string, ColumnType])[] = [
        ['f', 'int'],
        ['a', 'text'],
        ['h', 'text'],
      ];
      for (const rs of d.chunks(cols, [fileIds, b.algos, b.hexes])) {
        rs.params.unshift(product, version);
        await x.run(
          'INSERT INTO file_hashes (file, product, version, algo, digest) ' +
            `SELECT q.f, CAST(? AS INTEGER), CAST(? AS TEXT), q.a, ${unhex} FROM ${rs.sql} AS q ` +
            'WHERE true ON CONFLICT (product, file, algo, version) DO UPDATE SET digest = excluded.digest',
          rs.params,
        );
      }
      return { done: Promise.resolve() };
    }
    // PostgreSQL. Rows whose hash may exist: find it (index probes from the row source) and update it by id,
    // cheaper there than ON CONFLICT DO UPDATE, whose speculative insertion costs on every row.
    let rest = fileIds.map((_f, k) => k);
    const probe = rest.filter((k) => mayExist.has(b.paths[k] ?? ''));
    if (probe.length) {
      const hashId = new Map<number, number>();
      const cols = [
        ['k', 'int'],
        ['f', 'int'],
        ['a', 'text'],
      ] as const;
      const data = [probe, probe.map((k) => fileIds[k] ?? null), probe.map((k) => b.algos[k] ?? '')];
      for (const rs of d.chunks(cols, data))
        for (const r of await x.all(
          `SELECT q.k, h.id FROM ${rs.sql} AS q JOIN file_hashes AS h ON h.file = q.f ` +
            'AND h.product = CAST(? AS INTEGER) AND h.algo = q.a AND h.version = CAST(? AS TEXT)',
          [...rs.params, product, version],
        ))
          hashId.set(num(r.k), num(r.id));
      if (hashId.size) {
        const ucols = [
          ['id', 'int'],
          ['h', 'text'],
        ] as const;
        const udata = [[...hashId.values()], [...hashId.keys()].map((k) => b.hexes[k] ?? '')];
        for (const rs of d.chunks(ucols, udata))
          await x.run(
            `UPDATE file_hashes AS fh SET digest = ${d.unhex('u.h')} FROM ${rs.sql} AS u WHERE fh.id = u.id`,
            rs.params,
          );
      }
      rest = rest.filter((k) => !hashId.has(k));
    }
    if (!rest.length) return { done: Promise.resolve() };
    // One statement inserts the new files and the hashes, joining the files' new ids in the server (a hash join,
    // allowed for this statement only) rather than reading them back. A concurrent import of the same new file fails
    // its transaction on the unique key.
    const fileOf = (k: number) => newFile.get(b.paths[k] ?? '') ?? -1;
    const [rs] = d.chunks(
      [
        ['f', 'int'],
        ['d', 'int'],
        ['n', 'text'],
        ['a', 'text'],
        ['h', 'text'],
      ],
      [
        rest.map((k) => fileIds[k] ?? null),
        rest.map((k) => (fileIds[k] === null ? dirOf(fileOf(k)).id : null)),
        rest.map((k) => (fileIds[k] === null ? (uName[fileOf(k)] ?? '') : null)),
        rest.map((k) => b.algos[k] ?? ''),
        rest.map((k) => b.hexes[k] ?? ''),
      ],
    );
    if (!rs) return { done: Promise.resolve() };
    const ins =
      'INSERT INTO file_hashes (file, product, version, algo, digest) ' +
      `SELECT coalesce(q.f, nf.id), CAST(? AS INTEGER), CAST(? AS TEXT), q.a, ${unhex} FROM ${rs.sql} AS q `;
    const [nf] = d.chunks(
      [
        ['d', 'int'],
        ['n', 'text'],
      ],
      [fk.map((k) => dirOf(k).id), fk.map((k) => uName[k] ?? '')],
    );
    if (!nf) return { done: x.run(ins.replace('coalesce(q.f, nf.id)', 'q.f'), [product, version, ...rs.params]) };
    await x.exec('SET LOCAL enable_hashjoin = on');
    const statement = x.run(
      `WITH nf AS (INSERT INTO files (dir, name) SELECT q.d, q.n FROM ${nf.sql} AS q RETURNING id, dir, name) ` +
        `${ins}LEFT JOIN nf ON q.f IS NULL AND nf.dir = q.d AND nf.name = q.n`,
      [...nf.params, product, version, ...rs.params],
    );
    // Queued behind the statement on the same connection: the next batch's lookups run without hash joins again.
    const reset = x.exec('SET LOCAL enable_hashjoin = off');
    return { done: Promise.all([statement, reset]) };
  }

  /**
   * Lookup for the verifiers: the reference digests of these paths for a product, every algorithm and version
   * (or one algorithm). Paths without a reference are absent from the map. One query per BATCH paths.
   */
  async fileHashes(product: number, paths: readonly string[], algo?: HashName): Promise<Map<string, StoredHash[]>> {
    if (this.#x.dialect.bulkSettings.length && !this.#inTx)
      return this.#bulk((s) => s.fileHashes(product, paths, algo));
    const out = new Map<string, StoredHash[]>();
    const d = this.#x.dialect;
    const unique = [...new Set(paths)];
    for (let i = 0; i < unique.length; i += BATCH) {
      const rs = d.rows(
        [
          ['d', 'text'],
          ['n', 'text'],
        ],
        unique.slice(i, i + BATCH).map((p) => {
          const s = splitPath(p);
          return [s.dir, s.name];
        }),
      );
      const rows = await this.#x.all(
        `SELECT q.d, q.n, h.algo, h.digest, h.version FROM ${rs.sql} AS q ` +
          `${d.join} directories AS dd ON dd.path = q.d ${d.join} files AS f ON f.dir = dd.id AND f.name = q.n ` +
          `${d.join} file_hashes AS h ON h.file = f.id AND h.product = ?${algo ? ' AND h.algo = ?' : ''} ` +
          'ORDER BY h.version, h.algo',
        [...rs.params, product, ...(algo ? [algo] : [])],
      );
      for (const r of rows) {
        const path = joinPath(str(r.d), str(r.n));
        let list = out.get(path);
        if (!list) out.set(path, (list = []));
        list.push({ algo: hashName(r.algo, 'file_hashes.algo'), digest: bytes(r.digest), version: str(r.version) });
      }
    }
    return out;
  }

  /** All reference hashes under a directory (non-recursive), as a directory-measurement policy compares them. */
  async directoryHashes(product: number, dir: string, algo: HashName): Promise<Map<string, Uint8Array>> {
    const rows = await this.#x.all(
      'SELECT f.name, h.digest FROM directories AS dd JOIN files AS f ON f.dir = dd.id ' +
        'JOIN file_hashes AS h ON h.file = f.id WHERE dd.path = ? AND h.product = ? AND h.algo = ? ORDER BY f.name',
      [dir, product, algo],
    );
    return new Map(rows.map((r) => [joinPath(dir, str(r.name)), bytes(r.digest)]));
  }

  async countFileHashes(product?: number): Promise<number> {
    const r =
      product === undefined
        ? await this.#x.get('SELECT COUNT(*) AS n FROM file_hashes')
        : await this.#x.get('SELECT COUNT(*) AS n FROM file_hashes WHERE product = ?', [product]);
    return num(r?.n);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Packages

  /** Imports package versions for a product (insert or update security/blacklist/time). One transaction. */
  async importPackageVersions(product: number, rows: Iterable<PackageVersionRow>): Promise<number> {
    return this.#bulk(async (s) => {
      let count = 0;
      let batch = new Map<string, readonly [string, string, number, number, number]>();
      const flush = async () => {
        if (batch.size) await s.#packageBatch(product, [...batch.values()]);
        count += batch.size;
        batch = new Map();
      };
      for (const r of rows) {
        if (!r.name) throw new ParseError('empty package name', 0, 'versions.package');
        batch.set(`${r.name}\0${r.release}`, [r.name, r.release, r.security ? 1 : 0, r.blacklist ? 1 : 0, r.time ?? 0]);
        if (batch.size >= BATCH) await flush();
      }
      await flush();
      return count;
    });
  }

  async #packageBatch(product: number, rows: (readonly [string, string, number, number, number])[]): Promise<void> {
    const d = this.#x.dialect;
    const names = d.rows(
      [['n', 'text']],
      [...new Set(rows.map((r) => r[0]))].map((n) => [n]),
    );
    await this.#x.run(
      `INSERT INTO packages (name) SELECT q.n FROM ${names.sql} AS q WHERE true ON CONFLICT DO NOTHING`,
      names.params,
    );
    const rs = d.rows(
      [
        ['n', 'text'],
        ['r', 'text'],
        ['s', 'int'],
        ['b', 'int'],
        ['t', 'int'],
      ],
      rows,
    );
    await this.#x.run(
      'INSERT INTO versions (product, package, release, security, blacklist, time) ' +
        `SELECT CAST(? AS INTEGER), p.id, q.r, q.s, q.b, q.t FROM ${rs.sql} AS q ${d.join} packages AS p ON p.name = q.n WHERE true ` +
        'ON CONFLICT (package, product, release) DO UPDATE SET security = excluded.security, ' +
        'blacklist = excluded.blacklist, time = excluded.time',
      [product, ...rs.params],
    );
  }

  async setPackageBlacklist(name: string, blacklist: boolean): Promise<void> {
    await this.#getOrCreate('packages', { name });
    await this.#x.run('UPDATE packages SET blacklist = ? WHERE name = ?', [blacklist ? 1 : 0, name]);
  }

  /** Lookup for the verifiers: known versions of these packages for a product, newest time first. */
  async packageVersions(product: number, names: readonly string[]): Promise<Map<string, PackageInfo>> {
    const out = new Map<string, PackageInfo>();
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += BATCH) {
      const rs = this.#x.dialect.rows(
        [['n', 'text']],
        unique.slice(i, i + BATCH).map((n) => [n]),
      );
      const rows = await this.#x.all(
        `SELECT p.name, p.blacklist AS pb, v.release, v.security, v.blacklist, v.time FROM ${rs.sql} AS q ` +
          `${this.#x.dialect.join} packages AS p ON p.name = q.n LEFT JOIN versions AS v ON v.package = p.id AND v.product = ? ` +
          'ORDER BY p.name, v.time DESC, v.release',
        [...rs.params, product],
      );
      for (const r of rows) {
        const name = str(r.name);
        let info = out.get(name);
        if (!info) out.set(name, (info = { name, blacklist: bool(r.pb), versions: [] }));
        if (r.release !== null && r.release !== undefined) {
          info.versions.push({
            release: str(r.release),
            security: bool(r.security),
            blacklist: bool(r.blacklist),
            time: num(r.time),
          });
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Components (boot measurements) and their per-device reference hashes

  addComponent(c: { vendorId: number; name: number; qualifier: number; label?: string }): Promise<number> {
    return this.#getOrCreate(
      'components',
      { vendor_id: c.vendorId, name: c.name, qualifier: c.qualifier },
      { label: c.label ?? '' },
    );
  }

  async listComponents(): Promise<Component[]> {
    return (await this.#x.all('SELECT * FROM components ORDER BY id')).map((r) => ({
      id: num(r.id),
      vendorId: num(r.vendor_id),
      name: num(r.name),
      qualifier: num(r.qualifier),
      label: str(r.label),
    }));
  }

  /** Stores the reference measurements of a component on a device (replacing the same seq_no and algorithm). */
  async addComponentHashes(component: number, device: number, rows: readonly ComponentHash[]): Promise<void> {
    await this.transaction(async (s) => {
      for (const h of rows) {
        checkDigest(h.algo, toHex(h.digest), 'component_hashes.digest');
        await s.#x.run(
          'INSERT INTO component_hashes (component, device, seq_no, pcr, algo, digest) VALUES (?, ?, ?, ?, ?, ?) ' +
            'ON CONFLICT (component, device, algo, seq_no) DO UPDATE SET pcr = excluded.pcr, digest = excluded.digest',
          [component, device, h.seqNo, h.pcr, h.algo, h.digest],
        );
      }
    });
  }

  /** Lookup for the verifiers: a component's reference measurements on a device, in sequence order. */
  async componentHashes(
    c: { vendorId: number; name: number; qualifier: number },
    device: number,
    algo: HashName,
  ): Promise<ComponentHash[]> {
    const rows = await this.#x.all(
      'SELECT h.seq_no, h.pcr, h.algo, h.digest FROM components AS c JOIN component_hashes AS h ON h.component = c.id ' +
        'WHERE c.vendor_id = ? AND c.name = ? AND c.qualifier = ? AND h.device = ? AND h.algo = ? ORDER BY h.seq_no',
      [c.vendorId, c.name, c.qualifier, device, algo],
    );
    return rows.map((r) => ({
      seqNo: num(r.seq_no),
      pcr: num(r.pcr),
      algo: hashName(r.algo, 'component_hashes.algo'),
      digest: bytes(r.digest),
    }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // SWID tags and events

  async addSwidTag(t: Omit<SwidTag, 'id' | 'versionId'> & { versionId?: number | null }): Promise<number> {
    await this.#x.run(
      'INSERT INTO swid_tags (version_id, package_name, version_str, unique_id, software_id, swid_xml) ' +
        'VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (software_id) DO UPDATE SET swid_xml = excluded.swid_xml, ' +
        'version_str = excluded.version_str, package_name = excluded.package_name, unique_id = excluded.unique_id',
      [t.versionId ?? null, t.packageName, t.versionStr, t.uniqueId, t.softwareId, t.swidXml],
    );
    const r = await this.#x.get('SELECT id FROM swid_tags WHERE software_id = ?', [t.softwareId]);
    return num(r?.id);
  }

  async swidTags(softwareIds: readonly string[]): Promise<Map<string, SwidTag>> {
    const out = new Map<string, SwidTag>();
    const unique = [...new Set(softwareIds)];
    for (let i = 0; i < unique.length; i += BATCH) {
      const rs = this.#x.dialect.rows(
        [['s', 'text']],
        unique.slice(i, i + BATCH).map((n) => [n]),
      );
      const rows = await this.#x.all(
        `SELECT t.* FROM ${rs.sql} AS q ${this.#x.dialect.join} swid_tags AS t ON t.software_id = q.s`,
        rs.params,
      );
      for (const r of rows) {
        out.set(str(r.software_id), {
          id: num(r.id),
          versionId: optNum(r.version_id),
          packageName: str(r.package_name),
          versionStr: str(r.version_str),
          uniqueId: str(r.unique_id),
          softwareId: str(r.software_id),
          swidXml: str(r.swid_xml),
        });
      }
    }
    return out;
  }

  /** Records a SWIMA event (RFC 8412 §3.6) and the tags it installed/removed, in one transaction. */
  async addSwidEvent(
    e: Omit<SwidEvent, 'id'>,
    tags: readonly { tag: number; action: number; recordId?: number; sourceId?: number }[],
  ): Promise<number> {
    return this.transaction(async (s) => {
      const id = await s.#insertId('INSERT INTO swid_events (device, epoch, eid, timestamp) VALUES (?, ?, ?, ?)', [
        e.device,
        e.epoch,
        e.eid,
        e.timestamp,
      ]);
      for (const t of tags) {
        await s.#x.run(
          'INSERT INTO swid_tags_events (tag_id, event_id, action, record_id, source_id) VALUES (?, ?, ?, ?, ?)',
          [t.tag, id, t.action, t.recordId ?? 0, t.sourceId ?? 0],
        );
      }
      return id;
    });
  }

  /** The last event id seen from a device (to ask only for newer events), or 0. */
  async lastSwidEid(device: number): Promise<number> {
    const r = await this.#x.get('SELECT MAX(eid) AS eid FROM swid_events WHERE device = ?', [device]);
    return num(r?.eid);
  }

  async swidEvents(device: number): Promise<(SwidEvent & { tags: { tag: number; action: number }[] })[]> {
    const rows = await this.#x.all(
      'SELECT e.id, e.device, e.epoch, e.eid, e.timestamp, te.tag_id, te.action FROM swid_events AS e ' +
        'LEFT JOIN swid_tags_events AS te ON te.event_id = e.id WHERE e.device = ? ORDER BY e.eid, te.id',
      [device],
    );
    const out = new Map<number, SwidEvent & { tags: { tag: number; action: number }[] }>();
    for (const r of rows) {
      const id = num(r.id);
      let ev = out.get(id);
      if (!ev) {
        ev = { id, device: num(r.device), epoch: num(r.epoch), eid: num(r.eid), timestamp: str(r.timestamp), tags: [] };
        out.set(id, ev);
      }
      if (r.tag_id !== null && r.tag_id !== undefined) ev.tags.push({ tag: num(r.tag_id), action: num(r.action) });
    }
    return [...out.values()];
  }
}
