/**
 * Imports a strongSwan IMV database (config.db, SQLite, schema src/libimcv/imv/tables.sql) so its users can move
 * over: products, groups (with parents and product defaults), devices and memberships, policies (with their file or
 * directory), enforcements, file hashes, packages and versions, components and component hashes, SWID tags,
 * sessions and results. Tables missing from an older config.db are skipped.
 *
 * Facts of strongSwan's model this relies on: algorithm ids are PTS measurement algorithm bits
 * (pts_meas_algorithms_t: SHA1 = 1<<15, SHA256 = 1<<14, SHA384 = 1<<13, SHA512 = 1<<12; data.sql); file hash digests
 * are hex text and component hash digests are blobs; file_hashes reference a versions row (product, package) — the
 * generic product version has the empty package name — while strongSwan before 5.5 kept a `product` column there;
 * `component_hashes.key` is a device id. Our file hash version label is `<package> <release>` or '' for the
 * generic product version.
 */
import { DatabaseSync } from 'node:sqlite';
import { ConfigError } from '../../common/errors.ts';
import { measAlgoHash } from '../../pts/constants.ts';
import { bytes, num, optNum, str, type Row } from '../sql.ts';
import { joinPath, type RefStore } from '../store.ts';
import { isPolicyType, type FileHashRow, type PackageVersionRow } from '../types.ts';

export type StrongswanImportCounts = Record<string, number>;

export async function importStrongswanDb(store: RefStore, path: string): Promise<StrongswanImportCounts> {
  let src: DatabaseSync;
  try {
    src = new DatabaseSync(path, { readOnly: true });
  } catch (e) {
    throw new ConfigError(`cannot open strongSwan database ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  try {
    return await importFrom(store, src);
  } finally {
    src.close();
  }
}

async function importFrom(store: RefStore, src: DatabaseSync): Promise<StrongswanImportCounts> {
  const tables = new Set(
    (src.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => str(r.name)),
  );
  if (!tables.has('products')) throw new ConfigError('not a strongSwan IMV database (no products table)');
  const columns = (t: string) =>
    new Set((src.prepare(`PRAGMA table_info(${t})`).all() as Row[]).map((r) => str(r.name)));
  const all = (t: string, sql: string): Row[] => (tables.has(t) ? (src.prepare(sql).all() as Row[]) : []);
  const counts: StrongswanImportCounts = {};
  const count = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);

  return store.transaction(async (s) => {
    const products = new Map<number, number>();
    for (const r of all('products', 'SELECT id, name FROM products ORDER BY id')) {
      products.set(num(r.id), await s.addProduct(str(r.name)));
      count('products');
    }

    const dirs = new Map<number, string>(
      all('directories', 'SELECT id, path FROM directories').map((r) => [num(r.id), str(r.path)]),
    );
    const files = new Map<number, string>();
    for (const r of all('files', 'SELECT id, dir, name FROM files')) {
      const dir = dirs.get(num(r.dir));
      files.set(num(r.id), dir === undefined ? str(r.name) : joinPath(dir, str(r.name)));
    }

    const groups = new Map<number, number>();
    const groupRows = all('groups', 'SELECT * FROM groups ORDER BY id');
    for (const r of groupRows) {
      groups.set(num(r.id), await s.addGroup({ name: str(r.name) }));
      count('groups');
    }
    for (const r of groupRows) {
      const parent = optNum(r.parent);
      const id = groups.get(num(r.id));
      if (id !== undefined && parent) await s.addGroup({ name: str(r.name), parent: groups.get(parent) ?? null });
    }
    for (const r of all('groups_product_defaults', 'SELECT group_id, product_id FROM groups_product_defaults')) {
      const g = groups.get(num(r.group_id));
      const p = products.get(num(r.product_id));
      if (g === undefined || p === undefined) continue;
      await s.setProductDefaultGroup(g, p);
      count('groups_product_defaults');
    }

    const devices = new Map<number, number>();
    for (const r of all('devices', 'SELECT * FROM devices ORDER BY id')) {
      const id = await s.addDevice({
        value: str(r.value),
        description: str(r.description),
        product: products.get(num(r.product)) ?? null,
        trusted: num(r.trusted) !== 0,
      });
      await s.setDeviceTrusted(id, num(r.trusted) !== 0);
      const created = optNum(r.created);
      if (created) await s.setDeviceCreated(id, created);
      devices.set(num(r.id), id);
      count('devices');
    }
    for (const r of all('groups_members', 'SELECT group_id, device_id FROM groups_members')) {
      const g = groups.get(num(r.group_id));
      const d = devices.get(num(r.device_id));
      if (g === undefined || d === undefined) continue;
      await s.addGroupMember(g, d);
      count('groups_members');
    }

    const policies = new Map<number, number>();
    for (const r of all('policies', 'SELECT * FROM policies ORDER BY id')) {
      const type = num(r.type);
      if (!isPolicyType(type)) {
        count('policies_skipped');
        continue;
      }
      const file = files.get(num(r.file));
      const dir = dirs.get(num(r.dir));
      policies.set(
        num(r.id),
        await s.addPolicy({
          type,
          name: str(r.name),
          argument: str(r.argument),
          recFail: num(r.rec_fail),
          recNoResult: num(r.rec_noresult),
          ...(file !== undefined ? { file } : {}),
          ...(dir !== undefined ? { dir } : {}),
        }),
      );
      count('policies');
    }
    for (const r of all('enforcements', 'SELECT * FROM enforcements ORDER BY id')) {
      const policy = policies.get(num(r.policy));
      const group = groups.get(num(r.group_id));
      if (policy === undefined || group === undefined) continue;
      await s.addEnforcement({
        policy,
        group,
        maxAge: num(r.max_age),
        recFail: optNum(r.rec_fail),
        recNoResult: optNum(r.rec_noresult),
      });
      count('enforcements');
    }

    // Packages and versions; remember each versions row's product and label for the file hashes.
    const packages = new Map<number, string>();
    for (const r of all('packages', 'SELECT id, name, blacklist FROM packages')) {
      packages.set(num(r.id), str(r.name));
      if (str(r.name) && num(r.blacklist)) await s.setPackageBlacklist(str(r.name), true);
    }
    const versions = new Map<number, { product: number; label: string }>();
    const byProduct = new Map<number, PackageVersionRow[]>();
    for (const r of all('versions', 'SELECT * FROM versions')) {
      const product = products.get(num(r.product));
      const pkg = packages.get(num(r.package)) ?? '';
      if (product === undefined) continue;
      const release = r.release === null || r.release === undefined ? '' : str(r.release);
      versions.set(num(r.id), { product, label: pkg ? `${pkg} ${release}`.trim() : '' });
      if (!pkg || !release) continue;
      let list = byProduct.get(product);
      if (!list) byProduct.set(product, (list = []));
      list.push({
        name: pkg,
        release,
        security: num(r.security) !== 0,
        blacklist: num(r.blacklist) !== 0,
        time: num(r.time),
      });
    }
    for (const [product, list] of byProduct) count('versions', await s.importPackageVersions(product, list));

    const fhCols = tables.has('file_hashes') ? columns('file_hashes') : new Set<string>();
    const hashGroups = new Map<string, { product: number; version: string; rows: FileHashRow[] }>();
    for (const r of all('file_hashes', 'SELECT * FROM file_hashes')) {
      const algo = measAlgoHash(num(r.algo));
      const path = files.get(num(r.file));
      let target: { product: number; label: string } | undefined;
      if (fhCols.has('version') && optNum(r.version)) target = versions.get(num(r.version));
      else if (fhCols.has('product')) {
        const p = products.get(num(r.product));
        if (p !== undefined) target = { product: p, label: '' };
      }
      if (!algo || !path || !target) {
        count('file_hashes_skipped');
        continue;
      }
      const key = `${target.product}\0${target.label}`;
      let g = hashGroups.get(key);
      if (!g) hashGroups.set(key, (g = { product: target.product, version: target.label, rows: [] }));
      g.rows.push({ path, algo, digest: str(r.hash).toLowerCase() });
    }
    for (const g of hashGroups.values()) count('file_hashes', await s.importFileHashes(g.product, g.rows, g.version));

    const components = new Map<number, number>();
    for (const r of all('components', 'SELECT * FROM components')) {
      components.set(
        num(r.id),
        await s.addComponent({
          vendorId: num(r.vendor_id),
          name: num(r.name),
          qualifier: num(r.qualifier),
          label: str(r.label),
        }),
      );
      count('components');
    }
    for (const r of all('component_hashes', 'SELECT * FROM component_hashes ORDER BY id')) {
      const c = components.get(num(r.component));
      const d = devices.get(num(r.key));
      const algo = measAlgoHash(num(r.algo));
      if (c === undefined || d === undefined || !algo) {
        count('component_hashes_skipped');
        continue;
      }
      await s.addComponentHashes(c, d, [{ seqNo: num(r.seq_no), pcr: num(r.pcr), algo, digest: bytes(r.hash) }]);
      count('component_hashes');
    }

    for (const r of all('swid_tags', 'SELECT * FROM swid_tags')) {
      await s.addSwidTag({
        packageName: str(r.package_name),
        versionStr: str(r.version_str),
        uniqueId: str(r.unique_id),
        softwareId: str(r.software_id),
        swidXml: str(r.swid_xml),
      });
      count('swid_tags');
    }

    const sessions = new Map<number, number>();
    for (const r of all('sessions', 'SELECT * FROM sessions ORDER BY id')) {
      const id = await s.createSession({
        time: num(r.time),
        connection: num(r.connection),
        device: devices.get(num(r.device)) ?? null,
        product: products.get(num(r.product)) ?? null,
      });
      await s.setSessionRecommendation(id, r.rec === null || r.rec === undefined ? 3 : num(r.rec));
      sessions.set(num(r.id), id);
      count('sessions');
    }
    for (const r of all('results', 'SELECT * FROM results ORDER BY id')) {
      const session = sessions.get(num(r.session));
      const policy = policies.get(num(r.policy));
      if (session === undefined || policy === undefined) continue;
      await s.addResult({ session, policy, rec: num(r.rec), result: str(r.result) });
      count('results');
    }
    return counts;
  });
}
