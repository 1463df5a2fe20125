/**
 * The swtpm transport (swtpm(8)): the data channel ("--server") and the control channel ("--ctrl") over TCP
 * ("type=tcp", control port = data port + 1 by the TCTI convention) or over UNIX sockets ("type=unixio", control
 * socket = data socket path + ".ctrl" unless given; like tpm2-tss' tcti-swtpm `path=`). UNIX sockets are files, so a
 * process in another network namespace (a daemon in a test bed) reaches a simulator in the root namespace.
 *
 * Data channel: raw TPM commands and responses; a response is framed by the size field of its 10-byte header.
 * Control channel (swtpm's tpm_ioctl.h): u32 command code ‖ payload, answered by u32 result (0 = success) ‖ data.
 *   CMD_GET_CAPABILITY = 1, CMD_INIT = 2 (payload: u32 flags, 1 = delete volatile state), CMD_SHUTDOWN = 3,
 *   CMD_SET_LOCALITY = 5, CMD_STOP = 14.
 */
import net from 'node:net';
import { Reader, Writer } from '../../common/bytes.ts';
import { ConfigError, ProtocolError } from '../../common/errors.ts';
import { HEADER_SIZE, MAX_RESPONSE, Serializer } from './transport.ts';
import type { Transport } from './transport.ts';

export const SwtpmCtrl = {
  CMD_GET_CAPABILITY: 1,
  CMD_INIT: 2,
  CMD_SHUTDOWN: 3,
  CMD_GET_TPMESTABLISHED: 4,
  CMD_SET_LOCALITY: 5,
  CMD_CANCEL_TPM_CMD: 9,
  CMD_STOP: 14,
} as const;

/** How the transport talks to the simulator, whatever channel it uses. */
export interface SwtpmLinkOptions {
  /** Per-command timeout (default 30 s: key generation on a loaded machine is slow). */
  timeoutMs?: number;
  /** Keep the data connection open between commands (default true). swtpm serves one connection at a time, so
   * set false when other clients (tpm2-tools) share the simulator. */
  keepAlive?: boolean;
}

export interface SwtpmOptions extends SwtpmLinkOptions {
  /** TCP: host (default 127.0.0.1) and data port. */
  host?: string;
  port?: number;
  /** Control port; swtpm's TCTI convention is port + 1. */
  ctrlPort?: number;
  /** UNIX: path of the data socket (instead of host/port). */
  path?: string;
  /** Path of the control socket (default: path + ".ctrl"). */
  ctrlPath?: string;
}

/** The control socket path used when none is given: the data socket's path with ".ctrl" appended. */
export function defaultCtrlPath(path: string): string {
  return `${path}.ctrl`;
}

const TCTI_KEYS = new Set(['host', 'port', 'path', 'ctrl']);

/** Reads exactly the framed response from a socket. */
class Framer {
  #chunks: Buffer[] = [];
  #have = 0;
  #want = -1;
  feed(b: Buffer): Uint8Array | undefined {
    this.#chunks.push(b);
    this.#have += b.byteLength;
    if (this.#want < 0 && this.#have >= HEADER_SIZE) {
      const head = Buffer.concat(this.#chunks);
      this.#chunks = [head];
      const hr = new Reader(head.subarray(0, HEADER_SIZE), 'response');
      hr.skip(2, 'tag');
      const size = hr.u32('responseSize');
      if (size < HEADER_SIZE || size > MAX_RESPONSE) throw new ProtocolError('swtpm', 0, `bad response size ${size}`);
      this.#want = size;
    }
    if (this.#want >= 0 && this.#have >= this.#want) {
      const all = Buffer.concat(this.#chunks);
      return new Uint8Array(all.subarray(0, this.#want));
    }
    return undefined;
  }
}

export class SwtpmTransport implements Transport {
  /** TCP host, data and control ports (undefined over UNIX sockets). */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly ctrlPort: number | undefined;
  /** UNIX data and control socket paths (undefined over TCP). */
  readonly path: string | undefined;
  readonly ctrlPath: string | undefined;
  readonly #data: net.NetConnectOpts;
  readonly #ctrl: net.NetConnectOpts;
  readonly #timeoutMs: number;
  readonly #keepAlive: boolean;
  readonly #serial = new Serializer();
  #socket: net.Socket | undefined;

  constructor(opts: SwtpmOptions) {
    if (opts.path !== undefined) {
      if (opts.port !== undefined || opts.host !== undefined || opts.ctrlPort !== undefined)
        throw new ConfigError('swtpm: give a socket path or host/port, not both');
      if (opts.path === '' || opts.path.includes('\0')) throw new ConfigError('swtpm: bad socket path');
      const ctrlPath = opts.ctrlPath ?? defaultCtrlPath(opts.path);
      if (ctrlPath === '' || ctrlPath.includes('\0')) throw new ConfigError('swtpm: bad control socket path');
      this.host = this.port = this.ctrlPort = undefined;
      this.path = opts.path;
      this.ctrlPath = ctrlPath;
      this.#data = { path: opts.path };
      this.#ctrl = { path: ctrlPath };
    } else {
      if (opts.ctrlPath !== undefined) throw new ConfigError('swtpm: a control socket path needs a data socket path');
      const port = opts.port;
      if (port === undefined || !Number.isInteger(port) || port <= 0 || port > 65535)
        throw new ConfigError(`bad swtpm port ${port}`);
      const ctrlPort = opts.ctrlPort ?? port + 1;
      if (!Number.isInteger(ctrlPort) || ctrlPort <= 0 || ctrlPort > 65535)
        throw new ConfigError(`bad swtpm control port ${ctrlPort}`);
      this.host = opts.host ?? '127.0.0.1';
      this.port = port;
      this.ctrlPort = ctrlPort;
      this.path = this.ctrlPath = undefined;
      this.#data = { host: this.host, port };
      this.#ctrl = { host: this.host, port: ctrlPort };
    }
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#keepAlive = opts.keepAlive ?? true;
  }

  /**
   * Parses a TCTI-style string: `swtpm:host=H,port=P` (TCP; control port P + 1) or `swtpm:path=S[,ctrl=C]` (UNIX
   * sockets; control socket S.ctrl by default); the `swtpm:` prefix is optional. Paths cannot contain commas.
   */
  static fromTcti(tcti: string, extra: SwtpmLinkOptions = {}): SwtpmTransport {
    const conf = tcti.replace(/^swtpm:/, '');
    const kv = new Map<string, string>();
    for (const part of conf.split(',').filter(Boolean)) {
      const eq = part.indexOf('=');
      const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
      if (!TCTI_KEYS.has(k)) throw new ConfigError(`swtpm TCTI: unknown key "${k}" (host, port, path, ctrl)`);
      if (kv.has(k)) throw new ConfigError(`swtpm TCTI: "${k}" given twice`);
      kv.set(k, v);
    }
    const link: SwtpmLinkOptions = {
      ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
      ...(extra.keepAlive === undefined ? {} : { keepAlive: extra.keepAlive }),
    };
    const path = kv.get('path');
    if (path !== undefined) {
      if (kv.has('host') || kv.has('port')) throw new ConfigError('swtpm TCTI: give path or host/port, not both');
      const ctrl = kv.get('ctrl');
      return new SwtpmTransport({ ...link, path, ...(ctrl === undefined ? {} : { ctrlPath: ctrl }) });
    }
    if (kv.has('ctrl')) throw new ConfigError('swtpm TCTI: ctrl needs path');
    const portText = kv.get('port') ?? '2321';
    if (!/^\d{1,5}$/.test(portText)) throw new ConfigError(`bad swtpm port ${portText}`);
    return new SwtpmTransport({ ...link, host: kv.get('host') || '127.0.0.1', port: Number(portText) });
  }

  /** Where the data channel is, for messages: host:port or the socket path. */
  get address(): string {
    return this.path ?? `${this.host}:${this.port}`;
  }

  #connect(): Promise<net.Socket> {
    if (this.#socket && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    return new Promise((resolve, reject) => {
      const s = net.connect(this.#data);
      if (this.path === undefined) s.setNoDelay(true);
      s.once('connect', () => {
        s.removeListener('error', reject);
        s.on('error', () => s.destroy());
        this.#socket = s;
        resolve(s);
      });
      s.once('error', (e) =>
        reject(new ProtocolError('swtpm', 0, `connect ${this.address}: ${e.message}`, undefined, { cause: e })),
      );
    });
  }

  #drop(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  async #exchange(command: Uint8Array): Promise<Uint8Array> {
    const s = await this.#connect();
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        const framer = new Framer();
        const cleanup = () => {
          s.removeListener('data', onData);
          s.removeListener('close', onClose);
        };
        const onData = (b: Buffer) => {
          try {
            const r = framer.feed(b);
            if (r) {
              cleanup();
              resolve(r);
            }
          } catch (e) {
            cleanup();
            this.#drop();
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        };
        const onClose = () => {
          cleanup();
          reject(new ProtocolError('swtpm', 0, 'connection closed before the response'));
        };
        s.on('data', onData);
        s.on('close', onClose);
        s.write(command);
      });
    } finally {
      if (!this.#keepAlive) this.#drop();
    }
  }

  send(command: Uint8Array): Promise<Uint8Array> {
    return this.#serial.run(
      () => this.#exchange(command),
      this.#timeoutMs,
      'swtpm command',
      () => this.#drop(),
    );
  }

  /** Sends one control-channel command and returns the data after the u32 result (throws on a non-zero result). */
  async control(code: number, payload: Uint8Array = new Uint8Array(0), expect = 4): Promise<Uint8Array> {
    const msg = new Writer().u32(code).bytes(payload).finish();
    const out = await new Promise<Uint8Array>((resolve, reject) => {
      const s = net.connect(this.#ctrl);
      const chunks: Buffer[] = [];
      let n = 0;
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ProtocolError('swtpm-ctrl', code, 'no answer on the control channel'));
      }, this.#timeoutMs);
      s.on('connect', () => s.write(msg));
      s.on('data', (b) => {
        chunks.push(b);
        n += b.byteLength;
        if (n >= expect) {
          clearTimeout(timer);
          s.destroy();
          resolve(new Uint8Array(Buffer.concat(chunks)));
        }
      });
      s.on('error', (e) => {
        clearTimeout(timer);
        reject(new ProtocolError('swtpm-ctrl', code, e.message, undefined, { cause: e }));
      });
      s.on('close', () => {
        clearTimeout(timer);
        if (n < expect) reject(new ProtocolError('swtpm-ctrl', code, 'control channel closed early'));
      });
    });
    const r = new Reader(out, 'swtpm-ctrl');
    const result = r.u32('result');
    if (result !== 0) throw new ProtocolError('swtpm-ctrl', code, `result 0x${result.toString(16)}`);
    return r.rest();
  }

  /** CMD_INIT: (re)initializes the TPM, as a power cycle does; the TPM then needs TPM2_Startup. */
  async init(deleteVolatile = false): Promise<void> {
    this.#drop();
    await this.control(SwtpmCtrl.CMD_INIT, new Writer().u32(deleteVolatile ? 1 : 0).finish());
  }

  /** CMD_SHUTDOWN: swtpm saves its state and exits. */
  async shutdown(): Promise<void> {
    this.#drop();
    await this.control(SwtpmCtrl.CMD_SHUTDOWN);
  }

  async close(): Promise<void> {
    await this.#serial.run(
      async () => this.#drop(),
      1000,
      'close',
      () => {},
    );
  }
}
