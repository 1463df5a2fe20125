/**
 * The UDP adapter at the edge of IKE: sockets on port 500 and 4500 (RFC 7296 §2.23, RFC 3948). On port 4500 IKE
 * messages carry the four-byte non-ESP marker (zero), a single 0xFF byte is a NAT keepalive, and anything else is
 * ESP-in-UDP, handed to the data plane's handler.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../common/log.ts';
import type { Endpoint } from '../dataplane.ts';
import type { IkeTransport } from '../engine.ts';

export const NAT_T_PORT = 4500;
const NON_ESP_MARKER = new Uint8Array(4);
/** Largest datagram we accept (IKE messages are bounded far below this; ESP up to the TUN MTU plus overhead). */
const MAX_DATAGRAM = 65_535;
/** Socket buffer size requested for both IKE sockets (4 MiB). */
const SOCKET_BUFFER = 4 * 1024 * 1024;

export interface UdpStats {
  ike: number;
  esp: number;
  keepalives: number;
  runts: number;
  errors: number;
}

export interface IkeSocketsOptions {
  /** Local addresses to bind; `0.0.0.0` / `::` for any. */
  addresses: string[];
  port?: number;
  natPort?: number;
  log: Logger;
  /** Receives IKE datagrams (marker already stripped). */
  onIke: (data: Uint8Array, local: Endpoint, remote: Endpoint) => void;
  /** Receives ESP-in-UDP packets from port 4500 (for the data plane). */
  onEsp?: (data: Uint8Array, local: Endpoint, remote: Endpoint) => void;
}

interface Bound {
  address: string;
  ike: dgram.Socket;
  nat: dgram.Socket;
}

export class IkeSockets implements IkeTransport {
  readonly stats: UdpStats = { ike: 0, esp: 0, keepalives: 0, runts: 0, errors: 0 };
  readonly #opts: IkeSocketsOptions;
  readonly #bound: Bound[] = [];
  #port: number;
  #natPort: number;

  constructor(opts: IkeSocketsOptions) {
    this.#opts = opts;
    this.#port = opts.port ?? 500;
    this.#natPort = opts.natPort ?? NAT_T_PORT;
  }

  get ports(): { ike: number; nat: number } {
    return { ike: this.#port, nat: this.#natPort };
  }

  async open(): Promise<void> {
    const opts = this.#opts;
    for (const address of this.#opts.addresses) {
      const type = isIPv6(address) ? 'udp6' : 'udp4';
      const ike = dgram.createSocket({ type, reuseAddr: false });
      const nat = dgram.createSocket({ type, reuseAddr: false });
      await Promise.all([bind(ike, address, this.#port), bind(nat, address, this.#natPort)]);
      // Port 4500 also carries ESP-in-UDP: bursts of tunnel traffic overflowed the default receive buffer.
      // The kernel caps the request at twice net.core.rmem_max / wmem_max.
      for (const s of [ike, nat]) {
        try {
          s.setRecvBufferSize(SOCKET_BUFFER);
          s.setSendBufferSize(SOCKET_BUFFER);
        } catch (e) {
          opts.log.debug('NET', `socket buffer size not set: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      // Ephemeral ports (0) in tests: learn what we got.
      this.#port = ike.address().port;
      this.#natPort = nat.address().port;
      ike.on('message', (msg, rinfo) => this.#receive(address, this.#port, msg, rinfo, false));
      nat.on('message', (msg, rinfo) => this.#receive(address, this.#natPort, msg, rinfo, true));
      for (const s of [ike, nat]) {
        s.on('error', (e) => {
          this.stats.errors++;
          this.#opts.log.error('NET', `socket error: ${e.message}`);
        });
      }
      this.#bound.push({ address, ike, nat });
      this.#opts.log.info('NET', `listening on ${address}[${this.#port}] and [${this.#natPort}]`);
    }
  }

  #receive(bound: string, port: number, msg: Buffer, rinfo: dgram.RemoteInfo, natT: boolean): void {
    const local: Endpoint = { address: bound === '0.0.0.0' || bound === '::' ? bound : bound, port };
    const remote: Endpoint = { address: rinfo.address, port: rinfo.port };
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (data.byteLength > MAX_DATAGRAM) return;
    if (!natT) {
      this.stats.ike++;
      this.#opts.onIke(data, local, remote);
      return;
    }
    if (data.byteLength === 1 && data[0] === 0xff) {
      this.stats.keepalives++;
      return;
    }
    if (data.byteLength < 4) {
      this.stats.runts++;
      return;
    }
    if (data[0] === 0 && data[1] === 0 && data[2] === 0 && data[3] === 0) {
      this.stats.ike++;
      this.#opts.onIke(data.subarray(4), local, remote);
      return;
    }
    this.stats.esp++;
    this.#opts.onEsp?.(data, local, remote);
  }

  #socketFor(local: Endpoint): { s: dgram.Socket; nat: boolean } | undefined {
    const b = this.#bound.find((x) => x.address === local.address) ?? this.#bound[0];
    if (!b) return undefined;
    const nat = local.port === this.#natPort || local.port === NAT_T_PORT;
    return { s: nat ? b.nat : b.ike, nat };
  }

  /** Sends an IKE message; on port 4500 with the non-ESP marker. */
  send(data: Uint8Array, local: Endpoint, remote: Endpoint): void {
    const t = this.#socketFor(local);
    if (!t) return;
    const payload = t.nat ? Buffer.concat([NON_ESP_MARKER, data]) : data;
    t.s.send(payload, remote.port, remote.address, (e) => {
      if (e) {
        this.stats.errors++;
        this.#opts.log.debug('NET', `send to ${remote.address}:${remote.port} failed: ${e.message}`);
      }
    });
  }

  /** Sends an ESP-in-UDP packet (no marker) from the port-4500 socket. */
  sendEsp(data: Uint8Array, local: Endpoint, remote: Endpoint): void {
    const t = this.#socketFor({ address: local.address, port: this.#natPort });
    t?.s.send(data, remote.port, remote.address);
  }

  /** A NAT keepalive (RFC 3948 §2.3). */
  sendKeepalive(local: Endpoint, remote: Endpoint): void {
    const t = this.#socketFor({ address: local.address, port: this.#natPort });
    t?.s.send(new Uint8Array([0xff]), remote.port, remote.address);
  }

  async close(): Promise<void> {
    await Promise.all(this.#bound.flatMap((b) => [b.ike, b.nat]).map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#bound.length = 0;
  }
}

function bind(s: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address, port, exclusive: true }, () => {
      s.off('error', reject);
      resolve();
    });
  });
}
