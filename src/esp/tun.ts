/**
 * The TUN device adapter: the `attestd-tun` Node-API addon opens /dev/net/tun (IFF_TUN | IFF_NO_PI) and runs a
 * reader thread that hands packets to JS in batches; `ip` configures the link, MTU and routes. Packets written go
 * to the kernel as if received on the interface. Closing the fd removes the (non-persistent) device and its routes.
 */
import { execFile } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { ConfigError, StateError } from '../common/errors.ts';

const run = promisify(execFile);

interface Addon {
  open(name: string): { fd: number; name: string };
  startReader(fd: number, maxPacket: number, onBatch: (data: Uint8Array, lengths: Uint32Array) => void): unknown;
  stopReader(reader: unknown): void;
  writeBatch(fd: number, data: Uint8Array, lengths: Uint32Array): number;
}

let addon: Addon | undefined;
function load(): Addon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)('attestd-tun') as Addon;
  } catch (e) {
    throw new ConfigError(
      `the TUN data plane needs the attestd-tun addon (npm install builds native/tun): ${(e as Error).message}`,
      { cause: e },
    );
  }
  return addon;
}

/** Runs `ip` with the arguments; rejects with the command's stderr. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    const r = await run('ip', [...args]);
    return r.stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new StateError(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

export interface TunOptions {
  name?: string;
  mtu: number;
  /** Called with each batch read from the device (packets back to back, with their lengths). */
  onPackets: (data: Uint8Array, lengths: Uint32Array) => void;
}

const WRITE_BATCH = 256;

export class TunDevice {
  readonly name: string;
  readonly mtu: number;
  #fd: number;
  #reader: unknown;
  readonly #addon: Addon;
  /** Pending writes, flushed once per event-loop turn with one native call. */
  #buf = new Uint8Array(WRITE_BATCH * 2048);
  #lengths = new Uint32Array(WRITE_BATCH);
  #count = 0;
  #used = 0;
  #scheduled = false;
  written = 0;
  writeErrors = 0;

  private constructor(addonRef: Addon, fd: number, name: string, mtu: number) {
    this.#addon = addonRef;
    this.#fd = fd;
    this.name = name;
    this.mtu = mtu;
  }

  /** Creates the device, sets the MTU, brings it up, and starts reading. */
  static async open(opts: TunOptions): Promise<TunDevice> {
    const a = load();
    const { fd, name } = a.open(opts.name ?? 'attestd0');
    const dev = new TunDevice(a, fd, name, opts.mtu);
    try {
      await ip(['link', 'set', 'dev', name, 'mtu', String(opts.mtu), 'up']);
      dev.#reader = a.startReader(fd, Math.max(opts.mtu, 1500) + 64, opts.onPackets);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return dev;
  }

  /** Queues a packet for the kernel; all packets queued in one turn are written by one native call. */
  write(packet: Uint8Array): void {
    if (this.#fd < 0) return;
    if (this.#count === WRITE_BATCH || this.#used + packet.byteLength > this.#buf.byteLength) this.flush();
    if (packet.byteLength > this.#buf.byteLength) return;
    this.#buf.set(packet, this.#used);
    this.#lengths[this.#count++] = packet.byteLength;
    this.#used += packet.byteLength;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (!this.#count || this.#fd < 0) return;
    const n = this.#addon.writeBatch(
      this.#fd,
      this.#buf.subarray(0, this.#used),
      this.#lengths.subarray(0, this.#count),
    );
    this.written += n;
    this.writeErrors += this.#count - n;
    this.#count = 0;
    this.#used = 0;
  }

  /** Adds a route through the device (`replace`, so a second SA for the same prefix is harmless). */
  async addRoute(prefix: string, src?: string): Promise<void> {
    const base = ['route', 'replace', prefix, 'dev', this.name];
    if (src) {
      try {
        await ip([...base, 'src', src]);
        return;
      } catch {
        // `src` must be a local address; fall back to a route without it.
      }
    }
    await ip(base);
  }

  async removeRoute(prefix: string): Promise<void> {
    await ip(['route', 'del', prefix, 'dev', this.name]).catch(() => undefined);
  }

  close(): void {
    if (this.#fd < 0) return;
    this.flush();
    if (this.#reader !== undefined) this.#addon.stopReader(this.#reader);
    closeSync(this.#fd);
    this.#fd = -1;
  }
}
