/**
 * `attestd refdb --db sqlite:PATH|postgres://… <noun> <verb>`: manages the reference database — products, groups,
 * policies, enforcements; reference hashes imported by measuring a tree or from a manifest; package versions from a
 * dpkg status or Debian Packages file; devices (trust), sessions and results; and a strongSwan config.db import.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isHashName, type HashName } from '../../measure/hash.ts';
import { parseManifest, type Manifest } from '../../measure/manifest.ts';
import { measure } from '../../measure/cli.ts';
import { packageVersionsFrom } from '../../refdb/import/dpkg.ts';
import { importStrongswanDb } from '../../refdb/import/strongswan.ts';
import { openStore } from '../../refdb/open.ts';
import { recommendationWord } from '../../refdb/policy.ts';
import type { RefStore } from '../../refdb/store.ts';
import { PolicyType, PolicyTypeName, type FileHashRow, type PolicyTypeValue } from '../../refdb/types.ts';
import type { Command } from '../command.ts';

const USAGE = `attestd refdb [--db URI] [--json] <noun> <verb> [options]
  URI: sqlite:PATH (default $ATTESTD_REFDB or sqlite:/var/lib/attestd/refdb.sqlite) or postgres://user@host/db
  status
  products add NAME | products list
  groups add NAME [--parent GROUP] [--tofu] [--product NAME] | groups list
  policies add --name NAME --type TYPE [--argument ARG] [--file PATH | --dir PATH] [--rec-fail REC] [--rec-noresult REC]
  policies list          (TYPE: ${[...PolicyTypeName.values()].map((n) => n.toLowerCase().replace(/_/g, '-')).join(', ')})
  enforcements add --policy NAME --group NAME [--max-age SECONDS] [--rec-fail REC] [--rec-noresult REC] | enforcements list
  hashes import --product NAME (--measure DIR... [--root DIR] [--algorithms sha256,sha1] | --manifest FILE) [--version V]
  hashes lookup --product NAME PATH...
  packages import --product NAME (--dpkg-status FILE | --packages FILE) [--security] [--blacklist]
  packages blacklist NAME [--off] | packages show --product NAME PKG...
  devices add AIK-KEY-ID [--product NAME] [--description TEXT] [--trusted] | devices list
  devices trust AIK-KEY-ID|ID [--off]
  sessions list [--device AIK] [--limit N] | sessions show ID | results list [--session ID] [--limit N]
  import-strongswan CONFIG.DB
  (REC: allow, no-access, isolate, no-recommendation)`;

const REC: Readonly<Record<string, number>> = { allow: 0, 'no-access': 1, isolate: 2, 'no-recommendation': 3 };

function rec(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const r = REC[v] ?? (/^[0-3]$/.test(v) ? Number(v) : undefined);
  if (r === undefined) throw new Error(`unknown recommendation '${v}' (allow, no-access, isolate, no-recommendation)`);
  return r;
}

function policyType(v: string | undefined): PolicyTypeValue {
  if (!v) throw new Error('--type is required');
  const key = v.toUpperCase().replace(/-/g, '_');
  const t = (PolicyType as Record<string, PolicyTypeValue>)[key] ?? (/^\d+$/.test(v) ? Number(v) : undefined);
  if (t === undefined || !PolicyTypeName.has(t)) throw new Error(`unknown policy type '${v}'`);
  return t as PolicyTypeValue;
}

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined || v === '') throw new Error(`${what} is required`);
  return v;
}

async function productId(store: RefStore, name: string | undefined): Promise<number> {
  const p = await store.productByName(need(name, '--product NAME'));
  if (!p) throw new Error(`unknown product '${name}' (add it with: refdb products add)`);
  return p.id;
}

async function groupId(store: RefStore, name: string): Promise<number> {
  const g = await store.groupByName(name);
  if (!g) throw new Error(`unknown group '${name}'`);
  return g.id;
}

function manifestRows(m: Manifest, map: (p: string) => string = (p) => p): FileHashRow[] {
  const rows: FileHashRow[] = [];
  for (const [path, digests] of m.files) {
    for (const [algo, digest] of Object.entries(digests)) {
      if (digest && isHashName(algo)) rows.push({ path: map(path), algo, digest });
    }
  }
  return rows;
}

const options = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  parent: { type: 'string' },
  tofu: { type: 'boolean', default: false },
  product: { type: 'string' },
  name: { type: 'string' },
  type: { type: 'string' },
  argument: { type: 'string' },
  file: { type: 'string' },
  dir: { type: 'string' },
  'rec-fail': { type: 'string' },
  'rec-noresult': { type: 'string' },
  policy: { type: 'string' },
  group: { type: 'string' },
  'max-age': { type: 'string' },
  measure: { type: 'string', multiple: true },
  root: { type: 'string' },
  algorithms: { type: 'string' },
  manifest: { type: 'string' },
  version: { type: 'string' },
  'dpkg-status': { type: 'string' },
  packages: { type: 'string' },
  security: { type: 'boolean', default: false },
  blacklist: { type: 'boolean', default: false },
  off: { type: 'boolean', default: false },
  device: { type: 'string' },
  description: { type: 'string' },
  trusted: { type: 'boolean', default: false },
  session: { type: 'string' },
  limit: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export const command: Command = {
  summary: 'manage the reference database (products, policies, reference hashes, packages, devices)',
  usage: USAGE,
  async run(argv) {
    const { values: v, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    const [noun, verb, ...rest] = positionals;
    if (!noun) throw new Error(`a subcommand is required\nusage: ${USAGE}`);
    const uri = v.db ?? process.env.ATTESTD_REFDB ?? 'sqlite:/var/lib/attestd/refdb.sqlite';
    const store = await openStore(uri);
    try {
      return await dispatch(store, noun, verb, rest, v);
    } finally {
      await store.close();
    }
  },
};

async function dispatch(
  store: RefStore,
  noun: string,
  verb: string | undefined,
  rest: string[],
  v: Values,
): Promise<number> {
  const out = (rows: Record<string, unknown>[]) => console.log(v.json ? JSON.stringify(rows) : table(rows));
  const done = (obj: Record<string, unknown>, text: string) => console.log(v.json ? JSON.stringify(obj) : text);
  const key = noun === 'import-strongswan' ? noun : `${noun} ${verb ?? ''}`.trim();
  switch (key) {
    case 'status': {
      const counts: Record<string, number> = {};
      for (const t of [
        'products',
        'groups',
        'devices',
        'policies',
        'enforcements',
        'sessions',
        'results',
        'verdicts',
        'file_hashes',
        'versions',
      ]) {
        counts[t] = Number((await store.driver.get(`SELECT COUNT(*) AS n FROM ${t}`))?.n ?? 0);
      }
      done(
        { store: store.dialect, schema: await store.schemaVersion(), ...counts },
        `${store.dialect}, schema version ${await store.schemaVersion()}\n${table([counts])}`,
      );
      return 0;
    }
    case 'products add': {
      const id = await store.addProduct(need(rest[0], 'NAME'));
      done({ id }, `product ${id}: ${rest[0]}`);
      return 0;
    }
    case 'products list':
      out((await store.listProducts()).map((p) => ({ ...p })));
      return 0;
    case 'groups add': {
      const name = need(rest[0], 'NAME');
      const parent = v.parent ? await groupId(store, v.parent) : null;
      const id = await store.addGroup({ name, parent, tofu: v.tofu });
      if (v.product) await store.setProductDefaultGroup(id, await store.addProduct(v.product));
      done({ id }, `group ${id}: ${name}${v.tofu ? ' (trust on first use)' : ''}`);
      return 0;
    }
    case 'groups list': {
      const groups = await store.listGroups();
      const names = new Map(groups.map((g) => [g.id, g.name]));
      out(
        groups.map((g) => ({
          id: g.id,
          name: g.name,
          parent: g.parent === null ? null : names.get(g.parent),
          tofu: g.tofu,
        })),
      );
      return 0;
    }
    case 'policies add': {
      const type = policyType(v.type);
      const id = await store.addPolicy({
        type,
        name: need(v.name, '--name'),
        argument: v.argument ?? '',
        recFail: rec(v['rec-fail'], 1),
        recNoResult: rec(v['rec-noresult'], 1),
        ...(v.file ? { file: v.file } : {}),
        ...(v.dir ? { dir: v.dir } : {}),
      });
      done({ id }, `policy ${id}: ${v.name}`);
      return 0;
    }
    case 'policies list': {
      const rows = [];
      for (const p of await store.listPolicies()) {
        const target = p.file ? await store.pathOf('file', p.file) : p.dir ? await store.pathOf('dir', p.dir) : '';
        rows.push({
          id: p.id,
          name: p.name,
          type: PolicyTypeName.get(p.type)?.toLowerCase().replace(/_/g, '-'),
          argument: p.argument,
          target,
          fail: recommendationWord(p.recFail),
          noresult: recommendationWord(p.recNoResult),
        });
      }
      out(rows);
      return 0;
    }
    case 'enforcements add': {
      const p = await store.policyByName(need(v.policy, '--policy NAME'));
      if (!p) throw new Error(`unknown policy '${v.policy}'`);
      const id = await store.addEnforcement({
        policy: p.id,
        group: await groupId(store, need(v.group, '--group NAME')),
        maxAge: Number(v['max-age'] ?? 0),
        recFail: v['rec-fail'] === undefined ? null : rec(v['rec-fail'], 1),
        recNoResult: v['rec-noresult'] === undefined ? null : rec(v['rec-noresult'], 1),
      });
      done({ id }, `enforcement ${id}: ${p.name} for ${v.group}`);
      return 0;
    }
    case 'enforcements list': {
      const policies = new Map((await store.listPolicies()).map((p) => [p.id, p.name]));
      const groups = new Map((await store.listGroups()).map((g) => [g.id, g.name]));
      out(
        (await store.listEnforcements()).map((e) => ({
          id: e.id,
          policy: policies.get(e.policy),
          group: groups.get(e.group),
          maxAge: e.maxAge,
          fail: e.recFail === null ? null : recommendationWord(e.recFail),
          noresult: e.recNoResult === null ? null : recommendationWord(e.recNoResult),
        })),
      );
      return 0;
    }
    case 'hashes import': {
      const product = await store.addProduct(need(v.product, '--product NAME'));
      let rows: FileHashRow[];
      if (v.manifest) {
        rows = manifestRows(parseManifest(readFileSync(v.manifest, 'utf8')));
      } else if (v.measure?.length) {
        // `--measure A B` as well as `--measure A --measure B`: the words after the verb are further trees.
        const trees = [...v.measure, ...rest];
        const algorithms = (v.algorithms ?? 'sha256').split(',').map((a) => {
          if (!isHashName(a)) throw new Error(`unknown hash algorithm '${a}'`);
          return a as HashName;
        });
        const r = await measure(trees, { algorithms });
        for (const e of r.errors) console.error(`attestd refdb: cannot measure ${e.path}: ${e.code}`);
        const root = v.root ? resolve(v.root) : undefined;
        rows = manifestRows(r.manifest, root ? (p) => `/${relative(root, p)}` : undefined);
      } else {
        throw new Error('--measure DIR or --manifest FILE is required');
      }
      const t = performance.now();
      const n = await store.importFileHashes(product, rows, v.version ?? '');
      const secs = (performance.now() - t) / 1000;
      done({ imported: n, seconds: secs }, `imported ${n} reference hashes for ${v.product} in ${secs.toFixed(2)} s`);
      return 0;
    }
    case 'hashes lookup': {
      const found = await store.fileHashes(await productId(store, v.product), rest);
      const rows = [];
      for (const path of rest) {
        for (const h of found.get(path) ?? [])
          rows.push({ path, algo: h.algo, version: h.version, digest: Buffer.from(h.digest).toString('hex') });
      }
      out(rows);
      return rows.length ? 0 : 1;
    }
    case 'packages import': {
      const product = await store.addProduct(need(v.product, '--product NAME'));
      const file = v['dpkg-status'] ?? v.packages;
      if (!file) throw new Error('--dpkg-status FILE or --packages FILE is required');
      const rows = packageVersionsFrom(readFileSync(file, 'utf8'), {
        security: v.security,
        blacklist: v.blacklist,
        time: Math.floor(Date.now() / 1000),
      });
      const n = await store.importPackageVersions(product, rows);
      done({ imported: n }, `imported ${n} package versions for ${v.product}`);
      return 0;
    }
    case 'packages blacklist':
      await store.setPackageBlacklist(need(rest[0], 'NAME'), !v.off);
      done({ package: rest[0], blacklist: !v.off }, `${rest[0]}: ${v.off ? 'no longer blacklisted' : 'blacklisted'}`);
      return 0;
    case 'packages show': {
      const m = await store.packageVersions(await productId(store, v.product), rest);
      out(
        [...m.values()].flatMap((p) =>
          (p.versions.length ? p.versions : [undefined]).map((x) => ({
            name: p.name,
            release: x?.release,
            security: x?.security,
            blacklist: p.blacklist || (x?.blacklist ?? false),
          })),
        ),
      );
      return 0;
    }
    case 'devices add': {
      const value = need(rest[0], 'AIK-KEY-ID').toLowerCase();
      if (!/^[0-9a-f]{40}$/.test(value)) throw new Error(`'${rest[0]}' is not an AIK key id (40 hex digits)`);
      const product = v.product ? await store.addProduct(v.product) : null;
      const id = await store.addDevice({
        value,
        product,
        ...(v.description ? { description: v.description } : {}),
        trusted: v.trusted,
      });
      if (v.trusted) await store.setDeviceTrusted(id, true);
      done({ id, trusted: v.trusted }, `device ${id} (${value})${v.trusted ? ' trusted' : ''}`);
      return 0;
    }
    case 'devices list':
      out(
        (await store.listDevices()).map((d) => ({
          id: d.id,
          aik: d.value,
          description: d.description,
          product: d.product,
          trusted: d.trusted,
          created: d.created,
        })),
      );
      return 0;
    case 'devices trust': {
      const ref = need(rest[0], 'AIK-KEY-ID or ID');
      const d = (await store.deviceByValue(ref)) ?? (/^\d+$/.test(ref) ? await store.device(Number(ref)) : undefined);
      if (!d) throw new Error(`unknown device '${ref}'`);
      await store.setDeviceTrusted(d.id, !v.off);
      done({ id: d.id, trusted: !v.off }, `device ${d.id} (${d.value}) ${v.off ? 'untrusted' : 'trusted'}`);
      return 0;
    }
    case 'sessions list': {
      const device = v.device ? await store.deviceByValue(v.device) : undefined;
      if (v.device && !device) throw new Error(`unknown device '${v.device}'`);
      const sessions = await store.listSessions({
        ...(device ? { device: device.id } : {}),
        limit: Number(v.limit ?? 100),
      });
      out(
        sessions.map((s) => ({
          id: s.id,
          time: new Date(s.time * 1000).toISOString(),
          identity: s.identity,
          device: s.device,
          product: s.product,
          recommendation: recommendationWord(s.rec),
        })),
      );
      return 0;
    }
    case 'sessions show': {
      const id = Number(need(rest[0], 'ID'));
      const session = Number.isInteger(id) ? await store.session(id) : undefined;
      if (!session) throw new Error(`unknown session '${rest[0]}'`);
      const device = session.device === null ? undefined : await store.device(session.device);
      const verdicts = await store.verdicts(session.id);
      const summary = {
        id: session.id,
        time: new Date(session.time * 1000).toISOString(),
        identity: session.identity,
        device: device?.value ?? null,
        recommendation: recommendationWord(session.rec),
      };
      done(
        {
          ...summary,
          verdicts: verdicts.map((x) => ({
            imv: x.imv,
            recommendation: recommendationWord(x.rec),
            reasons: x.reasons,
          })),
        },
        [
          table([summary]),
          ...verdicts.flatMap((x) => [
            `verifier ${x.imv}: ${recommendationWord(x.rec)}`,
            ...x.reasons.map((r) => `  reason: ${r}`),
          ]),
        ].join('\n'),
      );
      return 0;
    }
    case 'results list': {
      const policies = new Map((await store.listPolicies()).map((p) => [p.id, p.name]));
      const rows = await store.listResults({
        ...(v.session ? { session: Number(v.session) } : {}),
        limit: Number(v.limit ?? 1000),
      });
      out(
        rows.map((r) => ({
          id: r.id,
          session: r.session,
          policy: policies.get(r.policy),
          recommendation: recommendationWord(r.rec),
          result: r.result,
        })),
      );
      return 0;
    }
    case 'import-strongswan': {
      const counts = await importStrongswanDb(store, need(verb, 'CONFIG.DB'));
      done(counts, `imported from ${verb}:\n${table([counts])}`);
      return 0;
    }
    default:
      throw new Error(`unknown subcommand '${key}'\nusage: ${USAGE}`);
  }
}
