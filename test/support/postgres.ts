/**
 * A private, throwaway PostgreSQL server for one test file: initdb into a temp dir, pg_ctl start listening on a unix
 * socket in that dir and on a free TCP port of 127.0.0.1, stopped and deleted by `stop()`. PostgreSQL refuses to
 * run as root, so as root it runs as the `postgres` system user (runuser) with the dir chowned to it.
 * Guard callers with `requires(t, { commands: POSTGRES_COMMANDS })`.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot } from './env.ts';

export const PG_BIN = process.env.ATTESTD_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const POSTGRES_COMMANDS = [`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, `${PG_BIN}/postgres`, 'runuser'];

export interface PostgresInstance {
  /** Superuser URL of the `postgres` database over TCP. */
  url: string;
  port: number;
  dir: string;
  /** URL of a fresh database (created on call). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function uidGid(user: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error(`no system user ${user}`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function runAs(asUser: boolean, cmd: string, args: string[]): { status: number | null; out: string } {
  const argv = asUser ? ['-u', 'postgres', '--', cmd, ...args] : args;
  const r = spawnSync(asUser ? 'runuser' : cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export async function startPostgres(): Promise<PostgresInstance> {
  const root = isRoot();
  const dir = mkdtempSync(join(tmpdir(), 'attestd-pg-'));
  const data = join(dir, 'data');
  let started = false;
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    process.removeListener('exit', cleanup);
    if (started) runAs(root, `${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that exits without stop() (an uncaught error, process.exit) still takes its server along.
  process.once('exit', cleanup);
  try {
    if (root) {
      const { uid, gid } = uidGid('postgres');
      chownSync(dir, uid, gid);
    }
    const init = runAs(root, `${PG_BIN}/initdb`, [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-locale',
    ]);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.out}`);
    let port = 0;
    for (let attempt = 0; attempt < 5 && !started; attempt++) {
      port = await freePort();
      const opts = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c max_connections=40 -c shared_buffers=64MB`;
      const r = runAs(root, `${PG_BIN}/pg_ctl`, [
        '-D',
        data,
        '-o',
        opts,
        '-l',
        join(dir, 'log'),
        '-w',
        '-t',
        '30',
        'start',
      ]);
      if (r.status === 0) started = true;
    }
    if (!started) throw new Error(`pg_ctl start failed; see ${join(dir, 'log')}`);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const { default: pg } = await import('pg');
    return {
      url,
      port,
      dir,
      async createDatabase(name: string) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE ${name}`);
        } finally {
          await c.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async stop() {
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
