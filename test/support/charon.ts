/**
 * strongSwan charon (Debian 5.9.8) as a test peer inside a test-bed namespace, driven over VICI.
 *
 * Layout of one instance's temp dir (`/tmp/at-charon-<name>-XXXXXX/`):
 *   strongswan.conf         generated (see `renderStrongswanConf`), read by charon and swanctl (STRONGSWAN_CONF)
 *   charon.log              filelog, flushed per line, with milliseconds and IKE_SA names
 *   charon.vici             VICI unix socket (in the temp dir, not /run, so this process reaches it directly)
 *   swanctl/swanctl.conf    the caller's text; swanctl uses the directory of `--file` as its swanctl dir
 *   swanctl/{x509,x509ca,private,rsa,ecdsa,pkcs8,pubkey,…}/   the caller's `certs`
 *
 * charon runs as `ip netns exec NS unshare -m sh -c 'mount -t tmpfs none /run && exec env STRONGSWAN_CONF=…
 * /usr/lib/ipsec/charon'`: its own network namespace and a private /run for charon.pid, so several charons can run
 * at once. The kernel has no ESP states, so the default plugin list uses kernel-libipsec (userspace ESP over a TUN
 * device `ipsec0`), which in 5.9.8 only does UDP-encapsulated ESP: connections need `encap = yes` (INTEROP §1).
 *
 * The VICI client (wire format from strongSwan's src/libcharon/plugins/vici/README.md) is in this file:
 *   transport: u32 length (network order) ‖ packet
 *   packet:    u8 type ‖ [u8 name length ‖ name, for CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT] ‖ message
 *   message:   elements: SECTION_START(1) name · SECTION_END(2) · KEY_VALUE(3) name value · LIST_START(4) name ·
 *              LIST_ITEM(5) value · LIST_END(6); name = u8 length ‖ ASCII, value = u16 length ‖ bytes
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader, Writer } from '../../src/common/bytes.ts';
import { ConfigError, LimitError, ParseError, StateError, TimeoutError } from '../../src/common/errors.ts';
import { nameOf, reverse } from '../../src/common/names.ts';
import { CommandError, onExitSync, run, spawnProcess, waitFor } from './proc.ts';
import type { Proc } from './proc.ts';
import type { Testbed, TestbedHost } from './netns.ts';

export const CHARON = '/usr/lib/ipsec/charon';
export const SWANCTL = '/usr/sbin/swanctl';

// ---------------------------------------------------------------------------------------------------------------
// VICI codec

/** VICI packet types (README "Packet layer"). */
export const ViciPacketType = {
  CMD_REQUEST: 0,
  CMD_RESPONSE: 1,
  CMD_UNKNOWN: 2,
  EVENT_REGISTER: 3,
  EVENT_UNREGISTER: 4,
  EVENT_CONFIRM: 5,
  EVENT_UNKNOWN: 6,
  EVENT: 7,
} as const;
export type ViciPacketTypeValue = (typeof ViciPacketType)[keyof typeof ViciPacketType];
export const ViciPacketTypeName = reverse(ViciPacketType);

/** VICI message element types (README "Message format"). */
export const ViciElement = {
  SECTION_START: 1,
  SECTION_END: 2,
  KEY_VALUE: 3,
  LIST_START: 4,
  LIST_ITEM: 5,
  LIST_END: 6,
} as const;

/** A value: text when it is valid UTF-8, else the raw bytes. */
export type ViciScalar = string | Uint8Array;
export type ViciValue = ViciScalar | ViciScalar[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}
/** What `encodeViciMessage` accepts: numbers become decimal text, booleans yes/no. */
export type ViciInputScalar = string | Uint8Array | number | boolean;
export type ViciInput = ViciInputScalar | ViciInputScalar[] | ViciInputSection | undefined;
export interface ViciInputSection {
  [key: string]: ViciInput;
}

/** Largest transport segment charon accepts (512 KiB). */
export const VICI_MAX_SEGMENT = 512 * 1024;
const NAMED = new Set<number>([
  ViciPacketType.CMD_REQUEST,
  ViciPacketType.EVENT_REGISTER,
  ViciPacketType.EVENT_UNREGISTER,
  ViciPacketType.EVENT,
]);

function scalarBytes(v: ViciInputScalar): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'boolean') return new TextEncoder().encode(v ? 'yes' : 'no');
  return new TextEncoder().encode(String(v));
}

function writeName(w: Writer, name: string): void {
  const b = new TextEncoder().encode(name);
  if (b.byteLength > 255) throw new LimitError('vici.name', `name of ${b.byteLength} bytes (max 255)`);
  w.u8(b.byteLength).bytes(b);
}

function writeValue(w: Writer, v: ViciInputScalar): void {
  const b = scalarBytes(v);
  if (b.byteLength > 0xffff) throw new LimitError('vici.value', `value of ${b.byteLength} bytes (max 65535)`);
  w.u16(b.byteLength).bytes(b);
}

function writeSection(w: Writer, s: ViciInputSection): void {
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      w.u8(ViciElement.LIST_START);
      writeName(w, k);
      for (const item of v) {
        w.u8(ViciElement.LIST_ITEM);
        writeValue(w, item);
      }
      w.u8(ViciElement.LIST_END);
    } else if (typeof v === 'object' && !(v instanceof Uint8Array)) {
      w.u8(ViciElement.SECTION_START);
      writeName(w, k);
      writeSection(w, v);
      w.u8(ViciElement.SECTION_END);
    } else {
      w.u8(ViciElement.KEY_VALUE);
      writeName(w, k);
      writeValue(w, v);
    }
  }
}

/** Encodes a message tree (the body of CMD_REQUEST / CMD_RESPONSE / EVENT packets). */
export function encodeViciMessage(msg: ViciInputSection): Uint8Array {
  const w = new Writer();
  writeSection(w, msg);
  return w.finish();
}

function readValue(r: Reader, field: string): ViciScalar {
  const b = r.bytes(r.u16(`${field}.length`), field);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return b.slice();
  }
}

function readName(r: Reader, field: string): string {
  return r.utf8(r.u8(`${field}.length`), field);
}

const MAX_DEPTH = 64;

/** Decodes a message tree; throws ParseError on unbalanced sections/lists, duplicates or truncation. */
export function decodeViciMessage(bytes: Uint8Array): ViciSection {
  const r = new Reader(bytes, 'vici');
  const root: ViciSection = {};
  const stack: ViciSection[] = [root];
  let list: ViciScalar[] | null = null;
  const put = (s: ViciSection, k: string, v: ViciValue) => {
    if (Object.hasOwn(s, k)) r.fail('name', `duplicate key ${JSON.stringify(k)}`);
    // defineProperty: a key named "__proto__" stays an own property.
    Object.defineProperty(s, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  while (!r.done) {
    const type = r.u8('element');
    const top = stack[stack.length - 1] as ViciSection;
    if (list !== null && type !== ViciElement.LIST_ITEM && type !== ViciElement.LIST_END)
      r.fail('element', `element ${type} inside a list`, r.offset - 1);
    switch (type) {
      case ViciElement.SECTION_START: {
        const name = readName(r, 'section');
        if (stack.length > MAX_DEPTH) r.fail('section', `nesting deeper than ${MAX_DEPTH}`);
        const s: ViciSection = {};
        put(top, name, s);
        stack.push(s);
        break;
      }
      case ViciElement.SECTION_END:
        if (stack.length === 1) r.fail('element', 'SECTION_END without SECTION_START', r.offset - 1);
        stack.pop();
        break;
      case ViciElement.KEY_VALUE: {
        const name = readName(r, 'key');
        put(top, name, readValue(r, 'value'));
        break;
      }
      case ViciElement.LIST_START: {
        const name = readName(r, 'list');
        list = [];
        put(top, name, list);
        break;
      }
      case ViciElement.LIST_ITEM:
        (list ?? r.fail('element', 'LIST_ITEM outside a list', r.offset - 1)).push(readValue(r, 'item'));
        break;
      case ViciElement.LIST_END:
        if (list === null) r.fail('element', 'LIST_END without LIST_START', r.offset - 1);
        list = null;
        break;
      default:
        r.fail('element', `unknown element type ${type}`, r.offset - 1);
    }
  }
  if (list !== null) r.fail('element', 'unterminated list');
  if (stack.length !== 1) r.fail('element', `${stack.length - 1} unterminated section(s)`);
  return root;
}

export interface ViciPacket {
  type: ViciPacketTypeValue;
  /** Command or event name, for the named types. */
  name?: string;
  /** Raw message bytes (decode with `decodeViciMessage`). */
  message: Uint8Array;
}

/** Encodes a packet with its 4-byte transport length. */
export function encodeViciPacket(p: ViciPacket): Uint8Array {
  const w = new Writer();
  w.lengthPrefixed(4, () => {
    w.u8(p.type);
    if (NAMED.has(p.type)) writeName(w, p.name ?? '');
    w.bytes(p.message);
  });
  const out = w.finish();
  if (out.byteLength - 4 > VICI_MAX_SEGMENT) throw new LimitError('vici.segment', `${out.byteLength - 4} bytes`);
  return out;
}

/** Decodes one packet body (without the transport length). */
export function decodeViciPacket(body: Uint8Array): ViciPacket {
  const r = new Reader(body, 'vici.packet');
  const type = r.u8('type');
  if (type > ViciPacketType.EVENT) r.fail('type', `unknown packet type ${type}`, 0);
  const p: ViciPacket = { type: type as ViciPacketTypeValue, message: new Uint8Array(0) };
  if (NAMED.has(type)) p.name = readName(r, 'name');
  p.message = r.rest('message').slice();
  return p;
}

/**
 * Splits a byte stream into transport segments: returns the complete packet bodies and the unconsumed tail.
 */
export function splitViciStream(buf: Uint8Array): { bodies: Uint8Array[]; rest: Uint8Array } {
  const r = new Reader(buf, 'vici.stream');
  const bodies: Uint8Array[] = [];
  while (r.remaining >= 4) {
    const start = r.offset;
    const len = r.u32('length');
    if (len > VICI_MAX_SEGMENT) throw new ParseError(`segment of ${len} bytes`, start, 'vici.stream.length');
    if (r.remaining < len) return { bodies, rest: buf.slice(start) };
    bodies.push(r.copy(len, 'segment'));
  }
  return { bodies, rest: r.rest().slice() };
}

// ---------------------------------------------------------------------------------------------------------------
// VICI client

type Waiter = { resolve: (p: ViciPacket) => void; reject: (e: Error) => void };

/** One VICI connection. Commands are serialized (VICI has no request ids). */
export class ViciClient {
  readonly #sock: Socket;
  #buf: Uint8Array = new Uint8Array(0);
  readonly #waiters: Waiter[] = [];
  readonly #listeners = new Map<string, Set<(m: ViciSection) => void>>();
  #chain: Promise<unknown> = Promise.resolve();
  #closed: Error | null = null;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on('data', (d: Buffer) => this.#onData(d));
    const fail = (e: Error) => {
      this.#closed ??= e;
      for (const w of this.#waiters.splice(0)) w.reject(e);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new StateError('vici connection closed')));
  }

  /** Connects to a unix socket path. */
  static connect(path: string, timeoutMs = 5000): Promise<ViciClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection({ path });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new TimeoutError(`vici connect ${path}`));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        sock.unref();
        resolve(new ViciClient(sock));
      });
    });
  }

  #onData(d: Buffer): void {
    const joined = new Uint8Array(this.#buf.byteLength + d.byteLength);
    joined.set(this.#buf, 0);
    joined.set(d, this.#buf.byteLength);
    let split: { bodies: Uint8Array[]; rest: Uint8Array };
    try {
      split = splitViciStream(joined);
    } catch (e) {
      this.#sock.destroy(e as Error);
      return;
    }
    this.#buf = split.rest;
    for (const body of split.bodies) {
      let p: ViciPacket;
      try {
        p = decodeViciPacket(body);
      } catch (e) {
        this.#sock.destroy(e as Error);
        return;
      }
      if (p.type === ViciPacketType.EVENT) {
        const fns = this.#listeners.get(p.name ?? '');
        if (fns) {
          const m = decodeViciMessage(p.message);
          for (const fn of fns) fn(m);
        }
      } else {
        this.#waiters.shift()?.resolve(p);
      }
    }
  }

  #send(p: ViciPacket, timeoutMs: number): Promise<ViciPacket> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<ViciPacket>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The connection is out of step once a reply is missing; drop it.
        this.#sock.destroy();
        reject(
          new TimeoutError(`vici ${nameOf(ViciPacketTypeName, p.type)} ${p.name ?? ''}: no reply in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiters.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#sock.write(encodeViciPacket(p));
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #register(type: 3 | 4, event: string, timeoutMs: number): Promise<void> {
    const r = await this.#send({ type, name: event, message: new Uint8Array(0) }, timeoutMs);
    if (r.type !== ViciPacketType.EVENT_CONFIRM)
      throw new StateError(`vici event ${event}: ${nameOf(ViciPacketTypeName, r.type)}`);
  }

  /**
   * Sends a command and returns its response. With `stream`, registers for that event first and collects the
   * events raised until the response (list-sas → list-sa, initiate → control-log).
   */
  request(
    command: string,
    msg: ViciInputSection = {},
    opts: { stream?: string; timeoutMs?: number } = {},
  ): Promise<{ response: ViciSection; events: ViciSection[] }> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return this.#serial(async () => {
      const events: ViciSection[] = [];
      const collect = (m: ViciSection) => events.push(m);
      if (opts.stream) {
        this.#addListener(opts.stream, collect);
        await this.#register(ViciPacketType.EVENT_REGISTER, opts.stream, timeoutMs);
      }
      try {
        const r = await this.#send(
          { type: ViciPacketType.CMD_REQUEST, name: command, message: encodeViciMessage(msg) },
          timeoutMs,
        );
        if (r.type === ViciPacketType.CMD_UNKNOWN) throw new StateError(`vici: unknown command ${command}`);
        if (r.type !== ViciPacketType.CMD_RESPONSE)
          throw new StateError(`vici ${command}: unexpected ${nameOf(ViciPacketTypeName, r.type)}`);
        return { response: decodeViciMessage(r.message), events };
      } finally {
        if (opts.stream) {
          this.#removeListener(opts.stream, collect);
          if (!this.#closed) await this.#register(ViciPacketType.EVENT_UNREGISTER, opts.stream, timeoutMs);
        }
      }
    });
  }

  #addListener(event: string, fn: (m: ViciSection) => void): void {
    let s = this.#listeners.get(event);
    if (!s) this.#listeners.set(event, (s = new Set()));
    s.add(fn);
  }

  #removeListener(event: string, fn: (m: ViciSection) => void): void {
    this.#listeners.get(event)?.delete(fn);
  }

  /** Subscribes to an event (e.g. `ike-updown`, `child-updown`, `log`); returns the function that unsubscribes. */
  async subscribe(event: string, fn: (m: ViciSection) => void): Promise<() => Promise<void>> {
    await this.#serial(async () => {
      this.#addListener(event, fn);
      await this.#register(ViciPacketType.EVENT_REGISTER, event, 5000);
    });
    return () =>
      this.#serial(async () => {
        this.#removeListener(event, fn);
        if (!this.#closed) await this.#register(ViciPacketType.EVENT_UNREGISTER, event, 5000);
      });
  }

  close(): void {
    this.#closed ??= new StateError('vici connection closed');
    this.#sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SA listing

export interface ChildSa {
  /** Unique key of the child in the list (`<name>-<uniqueid>`). */
  key: string;
  name: string;
  uniqueId: string;
  state: string;
  mode: string;
  protocol: string;
  encap: boolean;
  spiIn: string;
  spiOut: string;
  encrAlg: string | undefined;
  encrKeysize: string | undefined;
  integAlg: string | undefined;
  dhGroup: string | undefined;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  localTs: string[];
  remoteTs: string[];
  raw: ViciSection;
}

export interface IkeSa {
  name: string;
  uniqueId: string;
  state: string;
  version: string;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  localId: string;
  remoteId: string;
  initiator: boolean;
  initiatorSpi: string;
  responderSpi: string;
  /** charon faked NAT detection (kernel-libipsec forcing UDP encapsulation). */
  natFake: boolean;
  natAny: boolean;
  encrAlg: string | undefined;
  encrKeysize: string | undefined;
  integAlg: string | undefined;
  prfAlg: string | undefined;
  dhGroup: string | undefined;
  children: ChildSa[];
  raw: ViciSection;
}

function str(s: ViciSection, k: string): string | undefined {
  const v = s[k];
  return typeof v === 'string' ? v : undefined;
}
function list(s: ViciSection, k: string): string[] {
  const v = s[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
function sub(s: ViciSection, k: string): ViciSection {
  const v = s[k];
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? v : {};
}

/** Turns `list-sa` events into typed IKE_SAs. */
export function parseListSa(events: ViciSection[]): IkeSa[] {
  const out: IkeSa[] = [];
  for (const ev of events) {
    for (const name of Object.keys(ev)) {
      const s = sub(ev, name);
      const children: ChildSa[] = Object.entries(sub(s, 'child-sas')).map(([key, v]) => {
        const c = typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? v : {};
        return {
          key,
          name: str(c, 'name') ?? key,
          uniqueId: str(c, 'uniqueid') ?? '',
          state: str(c, 'state') ?? '',
          mode: str(c, 'mode') ?? '',
          protocol: str(c, 'protocol') ?? '',
          encap: str(c, 'encap') === 'yes',
          spiIn: str(c, 'spi-in') ?? '',
          spiOut: str(c, 'spi-out') ?? '',
          encrAlg: str(c, 'encr-alg'),
          encrKeysize: str(c, 'encr-keysize'),
          integAlg: str(c, 'integ-alg'),
          dhGroup: str(c, 'dh-group'),
          bytesIn: Number(str(c, 'bytes-in') ?? 0),
          bytesOut: Number(str(c, 'bytes-out') ?? 0),
          packetsIn: Number(str(c, 'packets-in') ?? 0),
          packetsOut: Number(str(c, 'packets-out') ?? 0),
          localTs: list(c, 'local-ts'),
          remoteTs: list(c, 'remote-ts'),
          raw: c,
        };
      });
      out.push({
        name,
        uniqueId: str(s, 'uniqueid') ?? '',
        state: str(s, 'state') ?? '',
        version: str(s, 'version') ?? '',
        localHost: str(s, 'local-host') ?? '',
        localPort: Number(str(s, 'local-port') ?? 0),
        remoteHost: str(s, 'remote-host') ?? '',
        remotePort: Number(str(s, 'remote-port') ?? 0),
        localId: str(s, 'local-id') ?? '',
        remoteId: str(s, 'remote-id') ?? '',
        initiator: str(s, 'initiator') === 'yes',
        initiatorSpi: str(s, 'initiator-spi') ?? '',
        responderSpi: str(s, 'responder-spi') ?? '',
        natFake: str(s, 'nat-fake') === 'yes',
        natAny: str(s, 'nat-any') === 'yes',
        encrAlg: str(s, 'encr-alg'),
        encrKeysize: str(s, 'encr-keysize'),
        integAlg: str(s, 'integ-alg'),
        prfAlg: str(s, 'prf-alg'),
        dhGroup: str(s, 'dh-group'),
        children,
        raw: s,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// strongswan.conf

/**
 * Plugins loaded by default: crypto via openssl (AES-GCM, ChaCha20-Poly1305, ECDSA, RSA, Ed25519, MODP, ECP, X25519),
 * certificate parsing, VICI, and kernel-libipsec for the data plane. EAP plugins (eap-identity, eap-md5,
 * eap-mschapv2, eap-gtc, eap-tls, eap-ttls) go in `extraPlugins`.
 */
export const DEFAULT_PLUGINS = [
  'random',
  'nonce',
  'openssl',
  'pem',
  'pkcs1',
  'pkcs8',
  'x509',
  'pubkey',
  'constraints',
  'hmac',
  'kdf',
  'curve25519',
  'chapoly',
  'socket-default',
  'vici',
  'kernel-libipsec',
  'kernel-netlink',
] as const;

export type ConfValue = string | number | boolean;
export interface ConfTree {
  [key: string]: ConfValue | ConfTree;
}

export interface CharonSettings {
  /** Replaces the plugin list. */
  plugins?: string[];
  /** Added to the plugin list. */
  extraPlugins?: string[];
  /** charon.cookie_threshold: half-open IKE_SAs that switch COOKIEs on (5.9.8 default 30; 0 = always). */
  cookieThreshold?: number;
  /** charon.cookie_threshold_ip: the same per peer IP (5.9.8 default 3). */
  cookieThresholdIp?: number;
  /** charon.block_threshold: half-open IKE_SAs per peer IP beyond which IKE_SA_INIT is dropped (default 5). */
  blockThreshold?: number;
  /** charon.fragment_size: largest IP datagram of an IKE fragment (default 1280; connections need `fragmentation`). */
  fragmentSize?: number;
  /** charon.install_routes (default yes: routes into table 220 via ipsec0). */
  installRoutes?: boolean;
  /** charon.retransmit_timeout / _tries / _base. */
  retransmitTimeout?: number;
  retransmitTries?: number;
  retransmitBase?: number;
  /** Any other charon.* settings as a tree, merged last, e.g. `{ plugins: { 'eap-ttls': { max_message_count: 0 } } }`. */
  charon?: ConfTree;
  /** Other top-level sections (e.g. `libtls`), merged with the generated tree. */
  top?: ConfTree;
}

/** Per-subsystem filelog levels (`default`, `ike`, `cfg`, `net`, `enc`, `knl`, `esp`, `tls`, `tnc`, …), -1..4. */
export type LogLevels = Record<string, number>;

function merge(a: ConfTree, b: ConfTree): ConfTree {
  const out: ConfTree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = typeof v === 'object' && typeof prev === 'object' ? merge(prev, v) : v;
  }
  return out;
}

/** strongswan.conf syntax: one `key = value` per line, `name { … }` sections. */
export function renderConf(tree: ConfTree, indent = ''): string {
  let s = '';
  for (const [k, v] of Object.entries(tree)) {
    if (!/^[\w.%-]+$/.test(k)) throw new ConfigError(`strongswan.conf key ${JSON.stringify(k)}`);
    if (typeof v === 'object') s += `${indent}${k} {\n${renderConf(v, indent + '  ')}${indent}}\n`;
    else {
      const text = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
      if (/[\n{}]/.test(text)) throw new ConfigError(`strongswan.conf value of ${k}: ${JSON.stringify(text)}`);
      s += `${indent}${k} = ${text}\n`;
    }
  }
  return s;
}

/** The strongswan.conf for one instance (exported for tests and for reading). */
export function renderStrongswanConf(dir: string, settings: CharonSettings = {}, logLevels: LogLevels = {}): string {
  const plugins = [...(settings.plugins ?? DEFAULT_PLUGINS), ...(settings.extraPlugins ?? [])];
  const socket = `unix://${join(dir, 'charon.vici')}`;
  const charon: ConfTree = {
    load: plugins.join(' '),
    install_routes: settings.installRoutes ?? true,
    filelog: {
      attestd: {
        path: join(dir, 'charon.log'),
        append: false,
        flush_line: true,
        time_format: '%T',
        time_add_ms: true,
        ike_name: true,
        default: 1,
        ike: 2,
        cfg: 2,
        ...logLevels,
      },
    },
    plugins: {
      'kernel-libipsec': { allow_peer_ts: true },
      vici: { socket },
    },
  };
  const optional: [string, number | undefined][] = [
    ['cookie_threshold', settings.cookieThreshold],
    ['cookie_threshold_ip', settings.cookieThresholdIp],
    ['block_threshold', settings.blockThreshold],
    ['fragment_size', settings.fragmentSize],
    ['retransmit_timeout', settings.retransmitTimeout],
    ['retransmit_tries', settings.retransmitTries],
    ['retransmit_base', settings.retransmitBase],
  ];
  for (const [k, v] of optional) if (v !== undefined) charon[k] = v;
  let tree: ConfTree = { charon, swanctl: { socket } };
  if (settings.charon) tree = merge(tree, { charon: settings.charon });
  if (settings.top) tree = merge(tree, settings.top);
  return renderConf(tree);
}

// ---------------------------------------------------------------------------------------------------------------
// charon instances

/** swanctl directories a test may fill (swanctl.conf(5) "FILES"). */
export const SWANCTL_DIRS = [
  'x509',
  'x509ca',
  'x509aa',
  'x509ocsp',
  'x509crl',
  'x509ac',
  'pubkey',
  'private',
  'rsa',
  'ecdsa',
  'bliss',
  'pkcs8',
  'pkcs12',
] as const;
export type SwanctlDir = (typeof SWANCTL_DIRS)[number];

export interface CharonOptions {
  /** Label for the temp dir and messages (default: the host name). */
  name?: string;
  /** swanctl.conf text (one `key = value` per line). */
  swanctlConf: string;
  strongswanConf?: CharonSettings;
  /** Files for the swanctl dirs: `{ x509: { 'me.pem': pem }, private: { 'me.pem': keyPem } }`. */
  certs?: Partial<Record<SwanctlDir, Record<string, string | Uint8Array>>>;
  logLevels?: LogLevels;
  /** Register `stop()` with this test bed's `destroy()`. */
  testbed?: Testbed;
  /** Run `swanctl --load-all` after start (default true). */
  load?: boolean;
  /** Keep the temp dir after stop (also when ATTESTD_KEEP=1). */
  keepDir?: boolean;
  /** Time to wait for the VICI socket (default 10 s). */
  startTimeoutMs?: number;
}

export interface InitiateResult {
  success: boolean;
  errmsg: string;
  /** control-log lines streamed during the command. */
  log: string[];
}

export interface WaitForSaOptions {
  /** IKE_SA state (default ESTABLISHED). */
  state?: string;
  /** Also wait for a CHILD_SA of this name… */
  child?: string;
  /** …in this state (default INSTALLED). */
  childState?: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface Charon {
  readonly name: string;
  readonly ns: string;
  readonly pid: number;
  readonly dir: string;
  readonly viciPath: string;
  readonly strongswanConfPath: string;
  readonly swanctlConfPath: string;
  readonly proc: Proc;
  /** The whole charon.log (kept in memory after stop). */
  log(): string;
  /** Name, pid, dir, exit status and the last `lines` log lines: print this when a test fails. */
  describe(lines?: number): string;
  /** Runs swanctl against this instance (`--file` etc. up to the caller). Never throws on exit status. */
  swanctl(
    args: readonly string[],
    opts?: { timeoutMs?: number },
  ): Promise<{ stdout: string; stderr: string; code: number | null }>;
  /** `swanctl --load-all --file <dir>/swanctl/swanctl.conf`; throws on failure. */
  loadAll(): Promise<string>;
  /** Replaces swanctl.conf and reloads. */
  reload(swanctlConf: string): Promise<string>;
  /** The shared VICI connection. */
  vici(): Promise<ViciClient>;
  /**
   * Initiates a CHILD_SA (and its IKE_SA); `child` undefined initiates the IKE_SA alone. Throws with the control
   * log unless `allowFail`.
   */
  initiate(
    child: string | undefined,
    ike: string,
    opts?: { timeoutMs?: number; allowFail?: boolean },
  ): Promise<InitiateResult>;
  /** Terminates an IKE_SA by config name (sends DELETE unless `force`). */
  terminate(ike: string, opts?: { timeoutMs?: number; force?: boolean; allowFail?: boolean }): Promise<InitiateResult>;
  /** Rekeys an IKE_SA or CHILD_SA by config name (`reauth` for IKE reauthentication). */
  rekey(what: { ike?: string; child?: string; reauth?: boolean }): Promise<ViciSection>;
  listSas(filter?: { ike?: string; child?: string }): Promise<IkeSa[]>;
  /**
   * Waits until an IKE_SA of config `ike` is in `state` (default ESTABLISHED) and, if `child` is given, has a
   * CHILD_SA of that name in `childState` (default INSTALLED).
   */
  waitForSa(ike: string, opts?: string | WaitForSaOptions): Promise<IkeSa>;
  /** SIGTERM, wait, SIGKILL; removes the temp dir unless kept. Idempotent. */
  stop(): Promise<void>;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Starts charon in `host`'s namespace, waits for VICI, loads swanctl.conf. */
export async function startCharon(
  host: TestbedHost | { ns: string; name?: string },
  opts: CharonOptions,
): Promise<Charon> {
  if (!existsSync(CHARON)) throw new ConfigError(`${CHARON} is missing (Debian strongswan-charon)`);
  const name = opts.name ?? host.name ?? host.ns;
  const dir = mkdtempSync(join(tmpdir(), `at-charon-${name.replace(/[^\w-]/g, '_')}-`));
  const viciPath = join(dir, 'charon.vici');
  if (viciPath.length > 100) throw new ConfigError(`vici socket path too long for a unix socket: ${viciPath}`);
  const strongswanConfPath = join(dir, 'strongswan.conf');
  const swanctlDir = join(dir, 'swanctl');
  const swanctlConfPath = join(swanctlDir, 'swanctl.conf');
  const logPath = join(dir, 'charon.log');
  writeFileSync(strongswanConfPath, renderStrongswanConf(dir, opts.strongswanConf, opts.logLevels));
  mkdirSync(swanctlDir);
  for (const d of SWANCTL_DIRS) mkdirSync(join(swanctlDir, d));
  for (const [d, files] of Object.entries(opts.certs ?? {})) {
    if (!(SWANCTL_DIRS as readonly string[]).includes(d)) throw new ConfigError(`unknown swanctl dir ${d}`);
    for (const [f, content] of Object.entries(files ?? {})) {
      if (!/^[\w.-]+$/.test(f)) throw new ConfigError(`file name ${JSON.stringify(f)}`);
      writeFileSync(join(swanctlDir, d, f), content, { mode: d === 'x509' || d === 'x509ca' ? 0o644 : 0o600 });
    }
  }
  writeFileSync(swanctlConfPath, opts.swanctlConf);
  const env = { ...process.env, STRONGSWAN_CONF: strongswanConfPath };

  const script = `mount -t tmpfs none /run && exec env STRONGSWAN_CONF='${strongswanConfPath}' ${CHARON}`;
  const proc = spawnProcess('unshare', ['-m', 'sh', '-c', script], { ns: host.ns, name: `charon ${name}` });
  let client: ViciClient | null = null;
  let savedLog: string | null = null;
  let stopped: Promise<void> | undefined;
  const keep = opts.keepDir || process.env.ATTESTD_KEEP === '1';

  const log = (): string => {
    if (savedLog !== null) return savedLog;
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const describe = (lines = 40): string => {
    const st = proc.exitStatus();
    const all = log().trimEnd().split('\n');
    const tail = all.slice(-lines).join('\n');
    const std = (proc.stdout() + proc.stderr()).trim();
    return (
      `charon ${name} in ${host.ns}: pid ${proc.pid}, dir ${dir}` +
      (st ? `, exited (code ${st.code}, signal ${st.signal})` : ', running') +
      `\n--- charon.log (last ${Math.min(lines, all.length)} of ${all.length} lines) ---\n${tail}` +
      (std ? `\n--- stdout/stderr ---\n${std}` : '')
    );
  };
  const vici = async (): Promise<ViciClient> => {
    if (stopped) throw new StateError(`charon ${name} stopped`);
    client ??= await ViciClient.connect(viciPath);
    return client;
  };
  const swanctl = async (args: readonly string[], o: { timeoutMs?: number } = {}) => {
    const r = await run(SWANCTL, args, { env, allowFail: true, timeoutMs: o.timeoutMs ?? 30_000 });
    return { stdout: r.stdout, stderr: r.stderr, code: r.code };
  };
  const loadAll = async (): Promise<string> => {
    const r = await swanctl(['--load-all', '--file', swanctlConfPath]);
    const text = r.stdout + r.stderr;
    if (r.code !== 0 || /\bfailed\b/.test(text.replace(/^opening directory .*$/gm, '')))
      throw new CommandError(`swanctl --load-all (charon ${name})`, r.code, r.stdout, r.stderr, 'loading failed');
    return text;
  };
  const control = async (
    cmd: 'initiate' | 'terminate',
    msg: ViciInputSection,
    timeoutMs: number,
    allowFail: boolean,
  ): Promise<InitiateResult> => {
    const c = await vici();
    const { response, events } = await c.request(
      cmd,
      { ...msg, timeout: timeoutMs, loglevel: 2 },
      { stream: 'control-log', timeoutMs: timeoutMs + 5000 },
    );
    const res: InitiateResult = {
      success: str(response, 'success') === 'yes',
      errmsg: str(response, 'errmsg') ?? '',
      log: events.map((e) => `[${str(e, 'group') ?? ''}] ${str(e, 'msg') ?? ''}`),
    };
    if (!res.success && !allowFail)
      throw new StateError(
        `charon ${name}: ${cmd} ${JSON.stringify(msg)} failed: ${res.errmsg}\n${res.log.join('\n')}\n${describe(20)}`,
      );
    return res;
  };
  const listSas = async (filter: { ike?: string; child?: string } = {}): Promise<IkeSa[]> => {
    const c = await vici();
    const { events } = await c.request('list-sas', { noblock: 'yes', ...filter }, { stream: 'list-sa' });
    return parseListSa(events);
  };
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      client?.close();
      client = null;
      await proc.stop({ graceMs: 3000 });
      savedLog = log();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const charon: Charon = {
    name,
    ns: host.ns,
    pid: proc.pid,
    dir,
    viciPath,
    strongswanConfPath,
    swanctlConfPath,
    proc,
    log,
    describe,
    swanctl,
    loadAll,
    reload: async (text) => {
      writeFileSync(swanctlConfPath, text);
      return loadAll();
    },
    vici,
    initiate: (child, ike, o = {}) => control('initiate', { child, ike }, o.timeoutMs ?? 15_000, o.allowFail ?? false),
    terminate: (ike, o = {}) =>
      control('terminate', { ike, ...(o.force ? { force: 'yes' } : {}) }, o.timeoutMs ?? 10_000, o.allowFail ?? false),
    rekey: async (what) => {
      const c = await vici();
      const { response } = await c.request('rekey', {
        ike: what.ike,
        child: what.child,
        ...(what.reauth ? { reauth: 'yes' } : {}),
      });
      if (str(response, 'success') !== 'yes')
        throw new StateError(`charon ${name}: rekey ${JSON.stringify(what)}: ${str(response, 'errmsg') ?? ''}`);
      return response;
    },
    listSas,
    waitForSa: (ike, opt = {}) => {
      const o: WaitForSaOptions = typeof opt === 'string' ? { state: opt } : opt;
      const state = o.state ?? 'ESTABLISHED';
      const childState = o.childState ?? 'INSTALLED';
      let last: IkeSa[] = [];
      return waitFor(
        async () => {
          last = await listSas({ ike });
          return last.find(
            (sa) =>
              sa.name === ike &&
              sa.state === state &&
              (o.child === undefined || sa.children.some((c) => c.name === o.child && c.state === childState)),
          );
        },
        {
          what: `charon ${name}: IKE_SA ${ike} ${state}` + (o.child ? ` with CHILD_SA ${o.child} ${childState}` : ''),
          timeoutMs: o.timeoutMs ?? 10_000,
          intervalMs: 100,
          detail: () =>
            `SAs: ${JSON.stringify(last.map((s) => ({ name: s.name, state: s.state, children: s.children.map((c) => [c.name, c.state]) })))}\n${describe(20)}`,
        },
      );
    },
    stop,
  };
  opts.testbed?.onDestroy(stop);
  // A test process killed before stop() still removes the dir (charon itself is killed as a tracked process).
  if (!keep) onExitSync(() => rmSync(dir, { recursive: true, force: true }));

  try {
    let exited = false;
    await waitFor(
      async () => {
        if (proc.exitStatus()) return (exited = true);
        if (!existsSync(viciPath)) return false;
        await vici();
        return true;
      },
      {
        what: `VICI socket of charon ${name} (${viciPath})`,
        timeoutMs: opts.startTimeoutMs ?? 10_000,
        detail: () => describe(20),
      },
    );
    if (exited) throw new StateError(`charon ${name} exited during start\n${describe(40)}`);
    if (opts.load ?? true) await loadAll();
  } catch (e) {
    await stop();
    if (e instanceof Error && /exited during start/.test(e.message)) throw e;
    const more = e instanceof TimeoutError ? '' : `\n${describe(30)}`;
    throw new StateError(`charon ${name} did not start: ${errText(e)}${more}`, { cause: e });
  }
  return charon;
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates with strongSwan's pki

export type PkiKeyType = 'ecdsa' | 'rsa' | 'ed25519';

export interface PkiIdentity {
  /** PEM certificate and private key. */
  cert: string;
  key: string;
}

export interface PkiSet {
  ca: PkiIdentity;
  /** One end-entity certificate per name, subject `CN=<name>` with subjectAltName `<name>` (an FQDN identity). */
  hosts: Record<string, PkiIdentity>;
}

const PKI_SIZE: Record<PkiKeyType, string[]> = { ecdsa: ['--size', '256'], rsa: ['--size', '2048'], ed25519: [] };

/**
 * A CA and end-entity certificates made with `pki` (strongSwan's tool), for `startCharon({ certs })`:
 * `{ x509ca: { 'ca.pem': set.ca.cert }, x509: { 'left.pem': set.hosts.left.cert }, private: { 'left.pem': set.hosts.left.key } }`.
 */
export async function pkiCertificates(
  names: readonly string[],
  opts: { type?: PkiKeyType; caType?: PkiKeyType } = {},
): Promise<PkiSet> {
  const type = opts.type ?? 'ecdsa';
  const caType = opts.caType ?? type;
  const dir = mkdtempSync(join(tmpdir(), 'at-pki-'));
  const pki = async (args: string[]): Promise<string> => (await run('pki', args, { timeoutMs: 30_000 })).stdout;
  try {
    const gen = (t: PkiKeyType) => pki(['--gen', '--type', t, ...PKI_SIZE[t], '--outform', 'pem']);
    const caKey = await gen(caType);
    const caKeyPath = join(dir, 'ca.key');
    writeFileSync(caKeyPath, caKey);
    const caCert = await pki([
      '--self',
      '--ca',
      '--in',
      caKeyPath,
      '--type',
      'priv',
      '--dn',
      'CN=Attestd Test CA',
      '--outform',
      'pem',
    ]);
    const caCertPath = join(dir, 'ca.pem');
    writeFileSync(caCertPath, caCert);
    const hosts: Record<string, PkiIdentity> = {};
    for (const n of names) {
      if (!/^[\w.-]+$/.test(n)) throw new ConfigError(`certificate name ${JSON.stringify(n)}`);
      const key = await gen(type);
      const keyPath = join(dir, `${n}.key`);
      writeFileSync(keyPath, key);
      const cert = await pki([
        '--issue',
        '--in',
        keyPath,
        '--type',
        'priv',
        '--cacert',
        caCertPath,
        '--cakey',
        caKeyPath,
        '--dn',
        `CN=${n}`,
        '--san',
        n,
        '--outform',
        'pem',
      ]);
      hosts[n] = { cert, key };
    }
    return { ca: { cert: caCert, key: caKey }, hosts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
