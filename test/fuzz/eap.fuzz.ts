/**
 * Fuzz targets for EAP: the EAP packet, Nak, MD5, TTLS packet and AVP decoders, the TTLS reassembly (a byte string
 * cut into packets), the PT-EAP codec, and the authenticator fed arbitrary responses after its first request.
 * Only declared errors (AttestdError) may escape.
 */
import { Reader, concat } from '../../src/common/bytes.ts';
import { seededRng } from '../../src/common/rng.ts';
import {
  EapServerSession,
  EapType,
  Md5Server,
  TtlsFramer,
  TtlsServer,
  decodeAvps,
  decodeEap,
  decodeMd5,
  decodeNak,
  decodePtEap,
  decodeTtls,
  eapMessageAvp,
  eapMessages,
  encodeEap,
  encodeTtls,
} from '../../src/eap/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { eapPki } from '../unit/eap/helpers.ts';

const pki = await eapPki();

const identity = encodeEap({ code: 2, identifier: 1, type: EapType.IDENTITY, data: new TextEncoder().encode('carol') });
const md5 = encodeEap({ code: 2, identifier: 2, type: EapType.MD5, data: Uint8Array.of(16, ...new Uint8Array(16)) });

export const targets: FuzzTarget[] = [
  {
    name: 'eap-packet',
    seeds: () => [identity, md5, Uint8Array.of(3, 1, 0, 4), Uint8Array.of(2, 1, 0, 6, 3, 21)],
    run(input) {
      const p = decodeEap(input);
      encodeEap(p);
      if ('data' in p) {
        if (p.type === EapType.NAK) decodeNak(p.data);
        if (p.type === EapType.MD5) decodeMd5(p.data);
        if (p.type === EapType.TTLS) decodeTtls(p.data);
        if (p.type === EapType.PT_EAP) decodePtEap(p.data);
      }
    },
  },
  {
    name: 'ttls-avp',
    seeds: () => [
      eapMessageAvp(identity),
      concat(eapMessageAvp(md5), eapMessageAvp(identity)),
      Uint8Array.of(0, 0, 0, 79, 0x40, 0, 0, 7),
    ],
    run(input) {
      const { avps } = decodeAvps(input);
      for (const e of eapMessages(avps)) decodeEap(e);
    },
  },
  {
    name: 'ttls-reassembly',
    seeds: () => [
      concat(
        Uint8Array.of(3),
        encodeTtls({ flags: 0xc0, messageLength: 10, data: new Uint8Array(4) }),
        encodeTtls({ flags: 0, data: new Uint8Array(6) }),
      ),
      Uint8Array.of(1, 0x20, 1, 0),
    ],
    run(input) {
      // First byte: packet size; the rest cut into packets of that size.
      const r = new Reader(input, 'fuzz');
      const size = (r.u8('size') % 64) + 1;
      const f = new TtlsFramer({ maxMessageCount: 64, maxMessageLength: 4096 });
      while (!r.done) f.receive(r.bytes(Math.min(size, r.remaining), 'packet'));
    },
  },
  {
    name: 'eap-server',
    seeds: () => [identity, concat(identity, md5)],
    async run(input) {
      const s = new EapServerSession({
        methods: [{ type: EapType.MD5, create: () => new Md5Server({ secret: Uint8Array.of(1), rng: seededRng(1) }) }],
        rng: seededRng(0),
      });
      await s.start();
      const r = new Reader(input, 'fuzz');
      while (!r.done && s.outcome === undefined) {
        const n = Math.min(r.u8('len') % 40, r.remaining);
        await s.process(r.bytes(n, 'packet'));
      }
    },
  },
  {
    // The TTLS server after its start packet, fed a sequence of TTLS packets (TLS records are mostly garbage, so
    // this exercises framing, reassembly, TLS alerts and the failure paths).
    name: 'ttls-server',
    seeds: () => [
      concat(Uint8Array.of(10), encodeTtls({ flags: 0x80, messageLength: 5, data: Uint8Array.of(0x16, 3, 3, 0, 0) })),
      concat(Uint8Array.of(3), Uint8Array.of(0x40, 0x16, 3), Uint8Array.of(0)),
    ],
    async run(input) {
      const s = new TtlsServer({ tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca }, phase2: 'none' });
      try {
        await s.start();
        const r = new Reader(input, 'fuzz');
        const size = r.done ? 1 : (r.u8('size') % 48) + 1;
        // At most 6 packets per input: each TLS turn costs a few event-loop turns.
        for (let n = 0; n < 6 && !r.done; n++) {
          const step = await s.process(r.bytes(Math.min(size, r.remaining), 'packet'));
          if ('outcome' in step) break;
        }
      } finally {
        s.close();
      }
    },
  },
];
