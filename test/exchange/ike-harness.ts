/**
 * Two IKE engines in one process over an in-memory network: datagrams are delivered asynchronously and can be
 * captured, dropped, duplicated or replayed by the test. Clock and randomness are real (the exchange is fast);
 * timer-driven behaviour is tested with FakeClock where it matters.
 */
import assert from 'node:assert/strict';
import { Logger } from '../../src/common/log.ts';
import { systemClock, type Clock } from '../../src/common/clock.ts';
import { systemRng } from '../../src/common/rng.ts';
import { parseProposals } from '../../src/crypto/index.ts';
import { defaultChild, type ChildConfig, type CredentialStore, type IkeConnection, type Identity } from '../../src/ike/config.ts';
import { NoneDataPlane, type Endpoint } from '../../src/ike/dataplane.ts';
import { IkeEngine, type EngineOptions } from '../../src/ike/engine.ts';
import { idFromString } from '../../src/ike/message/index.ts';
import { equal } from '../../src/common/bytes.ts';
import type { IkeServices } from '../../src/ike/tasks/task.ts';

export interface Datagram {
  data: Uint8Array;
  from: Endpoint;
  to: Endpoint;
}

/** A network of engines keyed by address. `filter` may drop (return false) or observe datagrams. */
export class MemoryNet {
  readonly engines = new Map<string, IkeEngine>();
  readonly log: Datagram[] = [];
  filter: ((d: Datagram) => boolean) | undefined;
  transport(_self: string) {
    return {
      send: (data: Uint8Array, local: Endpoint, remote: Endpoint) => {
        const d = { data: data.slice(), from: { ...local }, to: { ...remote } };
        this.log.push(d);
        if (this.filter && !this.filter(d)) return;
        this.deliver(d);
      },
    };
  }
  deliver(d: Datagram): void {
    const target = this.engines.get(d.to.address);
    if (target) setImmediate(() => void target.receive(d.data, d.to, d.from));
  }
}

export function memoryCreds(psks: { a: string; b: string; secret: string }[], anchors: Uint8Array[] = []): CredentialStore {
  const ids = psks.map((p) => ({ a: idFromString(p.a), b: idFromString(p.b), secret: new TextEncoder().encode(p.secret) }));
  const same = (x: Identity, y: Identity) => x.idType === y.idType && equal(x.data, y.data);
  return {
    psk(local, remote) {
      for (const e of ids) {
        if ((same(e.a, local) && (!remote || same(e.b, remote))) || (same(e.b, local) && (!remote || same(e.a, remote)))) return e.secret;
      }
      return undefined;
    },
    trustAnchors: () => anchors,
  };
}

export function connection(over: Partial<IkeConnection> & { name: string; localAddrs: string[]; remoteAddrs: string[] }): IkeConnection {
  return {
    localPort: 500,
    remotePort: 500,
    proposals: parseProposals('aes256gcm16-prfsha256-x25519', 'ike'),
    encap: false,
    fragmentation: 'yes',
    fragmentSize: 1280,
    local: [],
    remote: [],
    children: [],
    dpdDelay: 0,
    rekeyTime: 0,
    overTime: 0,
    sendCertreq: true,
    sendCert: 'ifasked',
    keyingTries: 1,
    ...over,
  };
}

export function child(name: string, over: Partial<ChildConfig> = {}): ChildConfig {
  return { ...defaultChild(name), rekeyTime: 0, lifeTime: 0, espProposals: parseProposals('aes256gcm16', 'esp'), ...over };
}

export interface Node {
  engine: IkeEngine;
  dataplane: NoneDataPlane;
  address: string;
  logs: string[];
}

export function node(
  net: MemoryNet,
  address: string,
  connections: IkeConnection[],
  creds: CredentialStore,
  over: Partial<IkeServices> & { clock?: Clock; engine?: Partial<EngineOptions> } = {},
): Node {
  const dataplane = new NoneDataPlane();
  const logs: string[] = [];
  const log = new Logger({ level: process.env.IKE_TEST_LOG ? 'debug' : 'info', sink: (_r, t) => { logs.push(t); if (process.env.IKE_TEST_LOG) console.log(`${address} ${t}`); } });
  const engine = new IkeEngine({
    services: { rng: systemRng, clock: over.clock ?? systemClock, log, dataplane, creds, connections: () => connections, ...over },
    transport: net.transport(address),
    retransmit: { timeout: 200, base: 1.5, tries: 3 },
    ...over.engine,
  });
  net.engines.set(address, engine);
  return { engine, dataplane, address, logs };
}

/**
 * Both sides hold the same SAs with matching keys: every inbound SA of one side is the other's outbound SA with the
 * same key material, and a liveness round trip over the current IKE SA verifies on both sides (no ICV failures).
 */
export async function assertConsistent(a: Node, b: Node): Promise<void> {
  assert.equal(a.dataplane.installed.size, b.dataplane.installed.size, 'same number of CHILD_SAs');
  for (const sa of a.dataplane.installed.values()) {
    const peer = b.dataplane.installed.get(sa.spiOut);
    if (!peer) throw new assert.AssertionError({ message: `peer has no inbound SA for ${sa.spiOut.toString(16)}` });
    assert.deepEqual(peer.encrIn, sa.encrOut, 'encryption keys agree');
    assert.deepEqual(peer.integIn, sa.integOut, 'integrity keys agree');
    assert.equal(peer.spiOut, sa.spiIn);
  }
  const sas = a.engine.sas.filter((s) => s.state === 'ESTABLISHED');
  for (const sa of sas) {
    const before = b.engine.stats.received;
    a.engine.dpd(sa);
    await new Promise((r) => setTimeout(r, 40));
    await a.engine.idle(sa);
    assert.ok(b.engine.stats.received > before, 'liveness request reached the peer');
  }
  assert.equal(a.engine.stats.icvFailures, 0, 'no ICV failures on one side');
  assert.equal(b.engine.stats.icvFailures, 0, 'no ICV failures on the other side');
}
