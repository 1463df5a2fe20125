/**
 * `data_plane = xfrm`: the Linux kernel does ESP. SAs go in with `ip xfrm state add` (one state per direction,
 * ESP-in-UDP via `encap espinudp`), policies with `ip xfrm policy add` (dir out, and dir in + fwd with a template
 * naming the SA's reqid), like charon's kernel-netlink plugin.
 *
 * Kernels built without ESP (no CONFIG_INET_ESP / CONFIG_INET6_ESP) accept XFRM policies but refuse every ESP
 * state with "RTNETLINK answers: Requested type not found" (EPROTONOSUPPORT from xfrm_state_construct, no ESP type
 * registered). `probe()` detects that at start-up, so the daemon says so instead of failing at the first CHILD_SA.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError, StateError } from '../common/errors.ts';
import { toHex } from '../common/bytes.ts';
import { randomU32, systemRng } from '../common/rng.ts';
import type { Rng } from '../common/rng.ts';
import { Encr, Integ } from '../crypto/ids.ts';
import { selectorPrefixes } from './spd.ts';
import type { EspCounters, EspEvent, EspSaConfig, EspSelector } from './types.ts';

const exec = promisify(execFile);

export interface XfrmOptions {
  /** Run `ip` inside this network namespace (`ip -n NS …`); for tests. */
  netns?: string;
  rng?: Rng;
  replayWindow?: number;
}

/** The kernel's name and arguments for a suite (`ip xfrm state` ALGO-LIST). */
export function xfrmAlgorithms(sa: Pick<EspSaConfig, 'suite'>, encr: Uint8Array, integ: Uint8Array): string[] {
  const key = `0x${toHex(encr)}`;
  switch (sa.suite.encr.id) {
    case Encr.AES_GCM_16:
      return ['aead', 'rfc4106(gcm(aes))', key, '128'];
    case Encr.CHACHA20_POLY1305:
      return ['aead', 'rfc7539esp(chacha20,poly1305)', key, '128'];
    case Encr.AES_CBC: {
      const auth = INTEG_NAMES.get(sa.suite.integ ?? 0);
      if (!auth) throw new ConfigError(`integrity algorithm ${sa.suite.integ} has no XFRM name`);
      return ['enc', 'cbc(aes)', key, 'auth-trunc', auth.name, `0x${toHex(integ)}`, String(auth.bits)];
    }
    default:
      throw new ConfigError(`encryption algorithm ${sa.suite.encr.id} has no XFRM name`);
  }
}

const INTEG_NAMES = new Map<number, { name: string; bits: number }>([
  [Integ.HMAC_SHA1_96, { name: 'hmac(sha1)', bits: 96 }],
  [Integ.HMAC_SHA2_256_128, { name: 'hmac(sha256)', bits: 128 }],
  [Integ.HMAC_SHA2_384_192, { name: 'hmac(sha384)', bits: 192 }],
  [Integ.HMAC_SHA2_512_256, { name: 'hmac(sha512)', bits: 256 }],
]);

function spiHex(spi: number): string {
  return `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;
}

/** The ID of an ESP state (`ip xfrm state` ID): source, destination, protocol and SPI. */
function stateId(src: string, dst: string, spi: number): string[] {
  return ['src', src, 'dst', dst, 'proto', 'esp', 'spi', spiHex(spi)];
}

function protoArgs(ts: EspSelector, which: 'sport' | 'dport'): string[] {
  if (ts.ipProtocol === 0) return [];
  const args = ['proto', String(ts.ipProtocol)];
  if (ts.startPort === ts.endPort) args.push(which, String(ts.startPort));
  return args;
}

export class XfrmDataPlane {
  readonly name = 'xfrm';
  readonly #opts: XfrmOptions;
  readonly #installed = new Map<number, EspSaConfig>();
  #reqid = 1;
  #handler: ((e: EspEvent) => void) | undefined;

  constructor(opts: XfrmOptions = {}) {
    this.#opts = opts;
  }

  async #ip(args: readonly string[]): Promise<string> {
    const full = this.#opts.netns ? ['-n', this.#opts.netns, ...args] : [...args];
    try {
      return (await exec('ip', full)).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new StateError(`ip ${full.join(' ')}: ${(err.stderr ?? err.message).trim()}`, { cause: e });
    }
  }

  /**
   * Checks that the kernel takes ESP states by adding and deleting a throw-away one. ConfigError naming the
   * kernel limitation when it does not.
   */
  async probe(): Promise<void> {
    const spi = 0x100 + (randomU32(this.#opts.rng ?? systemRng) % 0xfff0);
    try {
      await this.#ip([
        'xfrm',
        'state',
        'add',
        ...stateId('127.0.0.1', '127.0.0.1', spi),
        'mode',
        'tunnel',
        'enc',
        'cbc(aes)',
        `0x${'00'.repeat(16)}`,
        'auth-trunc',
        'hmac(sha256)',
        `0x${'00'.repeat(32)}`,
        '128',
      ]);
    } catch (e) {
      const msg = (e as Error).message;
      if (/Requested type not found|Protocol not supported|algorithm not found/i.test(msg))
        throw new ConfigError(
          'data_plane = xfrm: this kernel has XFRM policies but no ESP states (state installation fails with ' +
            '"Requested type not found": the kernel was built without CONFIG_INET_ESP/CONFIG_INET6_ESP or the ' +
            'esp4/esp6 modules are missing); use data_plane = tun',
          { cause: e },
        );
      throw new ConfigError(`data_plane = xfrm: cannot install an XFRM state: ${msg}`, { cause: e });
    }
    await this.#ip(['xfrm', 'state', 'delete', ...stateId('127.0.0.1', '127.0.0.1', spi)]).catch(() => undefined);
  }

  async allocateSpi(): Promise<number> {
    const rng = this.#opts.rng ?? systemRng;
    let spi: number;
    do spi = (randomU32(rng) | 0xc0000000) >>> 0;
    while (this.#installed.has(spi));
    return spi;
  }

  /** The `ip xfrm policy add` argument lists for a CHILD_SA (out, in, fwd for every selector pair). */
  policyCommands(sa: EspSaConfig, reqid: number): string[][] {
    const out: string[][] = [];
    for (const l of sa.localTs)
      for (const r of sa.remoteTs)
        for (const lp of selectorPrefixes(l))
          for (const rp of selectorPrefixes(r)) {
            const tmpl = (src: string, dst: string) => [
              'tmpl',
              'src',
              src,
              'dst',
              dst,
              'proto',
              'esp',
              'reqid',
              String(reqid),
              'mode',
              sa.mode,
            ];
            out.push([
              'xfrm',
              'policy',
              'add',
              'src',
              lp,
              'dst',
              rp,
              ...protoArgs(r, 'dport'),
              'dir',
              'out',
              ...tmpl(sa.local.address, sa.remote.address),
            ]);
            for (const dir of sa.mode === 'tunnel' ? ['in', 'fwd'] : ['in'])
              out.push([
                'xfrm',
                'policy',
                'add',
                'src',
                rp,
                'dst',
                lp,
                ...protoArgs(r, 'sport'),
                'dir',
                dir,
                ...tmpl(sa.remote.address, sa.local.address),
              ]);
          }
    return out;
  }

  /** The `ip xfrm state add` argument lists for both directions. */
  stateCommands(sa: EspSaConfig, reqid: number): string[][] {
    const common = (
      src: string,
      dst: string,
      spi: number,
      encr: Uint8Array,
      integ: Uint8Array,
      sport: number,
      dport: number,
    ) => [
      'xfrm',
      'state',
      'add',
      ...stateId(src, dst, spi),
      'reqid',
      String(reqid),
      'mode',
      sa.mode,
      'replay-window',
      String(Math.min(this.#opts.replayWindow ?? 1024, 4096)),
      ...(sa.esn ? ['flag', 'esn'] : []),
      ...xfrmAlgorithms(sa, encr, integ),
      ...(sa.encap ? ['encap', 'espinudp', String(sport), String(dport), '0.0.0.0'] : []),
      ...(sa.lifetimes.hardBytes ? ['limit', 'byte-hard', String(sa.lifetimes.hardBytes)] : []),
      ...(sa.lifetimes.hardPackets ? ['limit', 'packet-hard', String(sa.lifetimes.hardPackets)] : []),
    ];
    return [
      common(sa.remote.address, sa.local.address, sa.spiIn, sa.encrIn, sa.integIn, sa.remote.port, sa.local.port),
      common(sa.local.address, sa.remote.address, sa.spiOut, sa.encrOut, sa.integOut, sa.local.port, sa.remote.port),
    ];
  }

  /** Installs only the policies (what this kernel can do); used by tests and by installSa. */
  async installPolicies(sa: EspSaConfig, reqid: number): Promise<void> {
    for (const c of this.policyCommands(sa, reqid)) await this.#ip(c.map((x, i) => (i === 2 ? 'update' : x)));
  }

  async removePolicies(sa: EspSaConfig): Promise<void> {
    for (const c of this.policyCommands(sa, 0)) {
      const dirAt = c.indexOf('dir');
      const sel = c.slice(3, dirAt + 2);
      await this.#ip(['xfrm', 'policy', 'delete', ...sel]).catch(() => undefined);
    }
  }

  async installSa(sa: EspSaConfig): Promise<void> {
    const reqid = this.#reqid++;
    for (const c of this.stateCommands(sa, reqid)) await this.#ip(c);
    await this.installPolicies(sa, reqid);
    this.#installed.set(sa.spiIn, sa);
  }

  async removeSa(spiIn: number): Promise<void> {
    const sa = this.#installed.get(spiIn);
    if (!sa) return;
    this.#installed.delete(spiIn);
    // Policies are shared by the old and new SA during a rekey; remove them only with the last SA of the child.
    if (![...this.#installed.values()].some((o) => o.id === sa.id)) await this.removePolicies(sa);
    for (const [src, dst, spi] of [
      [sa.remote.address, sa.local.address, sa.spiIn],
      [sa.local.address, sa.remote.address, sa.spiOut],
    ] as const)
      await this.#ip(['xfrm', 'state', 'delete', ...stateId(src, dst, spi)]).catch(() => undefined);
  }

  counters(spiIn: number): EspCounters | undefined {
    return this.#installed.has(spiIn)
      ? { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, replayDrops: 0, icvFailures: 0 }
      : undefined;
  }

  onEvent(handler: (e: EspEvent) => void): void {
    this.#handler = handler;
  }

  /** Test hook and future netlink expire listener. */
  emit(e: EspEvent): void {
    this.#handler?.(e);
  }

  async close(): Promise<void> {
    for (const spi of [...this.#installed.keys()]) await this.removeSa(spi);
  }
}
