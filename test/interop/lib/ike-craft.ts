/**
 * Hand-built IKE datagrams for bad-input scenarios: IKE_SA_INIT requests with chosen SPIs (for floods and
 * retransmissions over real UDP), malformed variants, and a UDP flood sender that runs in another namespace and sends
 * every datagram from its own source port.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from '../../../src/common/bytes.ts';
import { createKeyExchange, parseProposals } from '../../../src/crypto/index.ts';
import { decodeMessage, encodeMessage, notify } from '../../../src/ike/message/index.ts';
import { ExchangeType, NotifyType, PayloadType, ProtocolId, type IkeMessage } from '../../../src/ike/payloads/types.ts';
import { run } from '../../support/proc.ts';

export function randomSpi(): bigint {
  return new Reader(randomBytes(8)).u64('spi') | 1n;
}

/**
 * The IKE_SA_INIT request offering aes256gcm16-prfsha256-x25519 with this X25519 public value and nonce, optionally
 * with a COOKIE (for initiators that go on with the exchange and keep the key and nonce).
 */
export function initMessage(spiI: bigint, kePublic: Uint8Array, ni: Uint8Array, cookie?: Uint8Array): IkeMessage {
  const transforms = parseProposals('aes256gcm16-prfsha256-x25519', 'ike')[0]!;
  return {
    header: {
      spiI,
      spiR: 0n,
      nextPayload: 0,
      version: 0x20,
      exchange: ExchangeType.IKE_SA_INIT,
      flags: 0x08,
      messageId: 0,
      length: 0,
    },
    encrypted: false,
    payloads: [
      ...(cookie
        ? [
            {
              type: PayloadType.NOTIFY,
              protocol: 0,
              spi: new Uint8Array(0),
              notifyType: NotifyType.COOKIE,
              data: cookie,
            },
          ]
        : []),
      { type: PayloadType.SA, proposals: [{ num: 1, protocol: ProtocolId.IKE, spi: new Uint8Array(0), transforms }] },
      { type: PayloadType.KE, group: 31, data: kePublic },
      { type: PayloadType.NONCE, data: ni },
    ],
  } as IkeMessage;
}

/** An IKE_SA_INIT request (see initMessage) with a fresh X25519 key and nonce, optionally with a COOKIE. */
export function initRequest(spiI = randomSpi(), cookie?: Uint8Array): Uint8Array {
  const ke = createKeyExchange(31);
  try {
    return encodeMessage(initMessage(spiI, ke.publicValue(), new Uint8Array(randomBytes(32)), cookie));
  } finally {
    ke.dispose();
  }
}

/** What a response to an IKE_SA_INIT request was: a COOKIE demand, another notify, or a full answer. */
export function classifyInitResponse(data: Uint8Array): {
  kind: 'cookie' | 'notify' | 'answer';
  notify?: number;
  cookie?: Uint8Array;
} {
  const r = decodeMessage(data);
  if (r.kind !== 'message') return { kind: 'notify' };
  const c = notify(r.message, NotifyType.COOKIE);
  if (c) return { kind: 'cookie', cookie: c.data.slice() };
  if (r.message.payloads.some((p) => p.type === PayloadType.SA)) return { kind: 'answer' };
  const n = r.message.payloads.find((p) => p.type === PayloadType.NOTIFY);
  return { kind: 'notify', ...(n && 'notifyType' in n ? { notify: n.notifyType } : {}) };
}

/** Malformed IKE_SA_INIT requests, each with what it breaks. */
export function malformedRequests(): { name: string; data: Uint8Array }[] {
  const good = initRequest();
  const out: { name: string; data: Uint8Array }[] = [];
  out.push({ name: 'truncated header', data: good.slice(0, 20) });
  const badLen = good.slice();
  new DataView(badLen.buffer).setUint32(24, good.byteLength + 100);
  out.push({ name: 'header length beyond the datagram', data: badLen });
  const badVer = good.slice();
  badVer[17] = 0x30;
  out.push({ name: 'major version 3', data: badVer });
  const badPayloadLen = good.slice();
  // First payload (SA) generic header: length field at offset 28 + 2.
  new DataView(badPayloadLen.buffer).setUint16(30, 2);
  out.push({ name: 'payload length shorter than its header', data: badPayloadLen });
  const crit = good.slice();
  crit[16] = 200; // next payload: an unknown type; its critical bit is clear, so it must be skipped…
  out.push({ name: 'unknown first payload type', data: crit });
  out.push({ name: 'random bytes', data: new Uint8Array(randomBytes(300)) });
  return out;
}

/**
 * Sends each datagram from its own UDP socket (its own source port) inside namespace `ns`, `batch` sockets at a
 * time, and collects every reply. Returns per-datagram replies (hex) in order.
 */
export async function floodFromPorts(
  ns: string,
  to: string,
  port: number,
  datagrams: readonly Uint8Array[],
  opts: { batch?: number; replyMs?: number } = {},
): Promise<(Uint8Array | null)[]> {
  const dir = mkdtempSync(join(tmpdir(), 'at-flood-'));
  try {
    const file = join(dir, 'datagrams.json');
    writeFileSync(file, JSON.stringify(datagrams.map((d) => Buffer.from(d).toString('hex'))));
    const script = `
const dgram = require('node:dgram');
const list = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'));
const replies = new Array(list.length).fill('');
const batch = ${Number(opts.batch ?? 100)}, wait = ${Number(opts.replyMs ?? 300)};
(async () => {
  for (let i = 0; i < list.length; i += batch) {
    const socks = [];
    for (let j = i; j < Math.min(list.length, i + batch); j++) {
      const s = dgram.createSocket('udp4');
      s.on('message', (m) => { if (!replies[j]) replies[j] = m.toString('hex'); });
      s.on('error', () => {});
      await new Promise((r) => s.bind(0, r));
      s.send(Buffer.from(list[j], 'hex'), ${Number(port)}, ${JSON.stringify(to)});
      socks.push(s);
    }
    await new Promise((r) => setTimeout(r, wait));
    for (const s of socks) s.close();
  }
  process.stdout.write(JSON.stringify(replies));
})();`;
    const r = await run(process.execPath, ['-e', script], {
      ns,
      timeoutMs: 60_000 + Math.ceil(datagrams.length / (opts.batch ?? 100)) * (opts.replyMs ?? 300),
    });
    return (JSON.parse(r.stdout) as string[]).map((h) => (h ? new Uint8Array(Buffer.from(h, 'hex')) : null));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
