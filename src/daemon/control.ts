/**
 * The local control socket: newline-delimited JSON requests and responses over a Unix socket that only root (or a
 * configured group) can open — the file is created mode 0600, or 0660 owned by that group.
 */
import type { DiagChannels } from '../common/diag.ts';
import { chmodSync, chownSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ConfigError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';

export const defaultControlPath = '/run/attestd/attestd.sock';

/**
 * A request: `{ cmd, …arguments }`. Commands (daemon.ts): list-sas, list-conns, list-verdicts [limit, ike],
 * initiate ike [child], terminate ike | id, rekey ike | id [child], reload, stats.
 */
export type ControlRequest = { cmd: string; [key: string]: unknown };

/**
 * One attestation verdict of the daemon on an IKE peer, as `list-verdicts` returns it (newest first): when it was
 * given (ISO 8601), the connection and IKE SA (`name[id]`), the peer's authenticated identity and address, the
 * decision the daemon enforced and its verifiers' reasons.
 */
export type VerdictInfo = { time: string } & DiagChannels['attest:verdict'];
export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

const MAX_REQUEST = 64 * 1024;

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8' });
    const gid = Number(line.split(':')[2]);
    if (Number.isInteger(gid)) return gid;
  } catch {
    /* fall through */
  }
  throw new ConfigError(`control group '${name}' does not exist`);
}

export async function startControlServer(opts: {
  path: string;
  group?: string;
  log: Logger;
  handler: ControlHandler;
}): Promise<net.Server> {
  mkdirSync(dirname(opts.path), { recursive: true, mode: 0o755 });
  if (existsSync(opts.path)) unlinkSync(opts.path);
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST) {
        sock.end(JSON.stringify({ ok: false, error: 'request too large' }) + '\n');
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void (async () => {
          let reply: unknown;
          try {
            const req = JSON.parse(line) as ControlRequest;
            if (typeof req?.cmd !== 'string') throw new Error('missing cmd');
            reply = { ok: true, result: await opts.handler(req) };
          } catch (e) {
            reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
          }
          if (!sock.destroyed)
            sock.write(JSON.stringify(reply, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
        })();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.path, () => resolve());
  });
  if (opts.group) {
    chownSync(opts.path, 0, groupId(opts.group));
    chmodSync(opts.path, 0o660);
  } else {
    chmodSync(opts.path, 0o600);
  }
  opts.log.info('DMN', `control socket ${opts.path}`);
  return server;
}

/** Sends one request and waits for its reply. */
export function controlRequest(path: string, req: ControlRequest, timeoutMs = 60_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the daemon at ${path}: ${e.message}`));
    });
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      const reply = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string };
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.error ?? 'request failed'));
    });
  });
}
