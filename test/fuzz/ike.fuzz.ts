/**
 * Fuzz targets of the IKEv2 message layer: the header, clear messages, the inner payload chain of sealed SK
 * payloads (decrypted with the AES-GCM test double, then checked against the exchange rules) and fragment
 * reassembly. Seeds are encoder output of realistic IKE_SA_INIT and IKE_AUTH messages.
 */
import { concat, fromHex, Writer } from '../../src/common/bytes.ts';
import type { DecodedFragment } from '../../src/ike/message/index.ts';
import {
  checkRules,
  decodeHeader,
  decodeMessage,
  encodeFragments,
  encodeMessage,
  encodePayloads,
  FragmentReassembler,
} from '../../src/ike/message/index.ts';
import type { IkeHeader } from '../../src/ike/payloads/types.ts';
import { ExchangeType, HeaderFlag } from '../../src/ike/payloads/types.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { ikeAuthRequest, ikeSaInitRequest } from '../unit/ike/message/messages.ts';
import { GcmSkDouble } from '../unit/ike/message/sk-double.ts';

const sk = new GcmSkDouble();

/** RFC 7634 Appendix B, an encrypted INFORMATIONAL message. */
const RFC7634_B = fromHex(
  'c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e20250000000009000000452900002910111213141516' +
    '17610394701f8d017f7c129248896b71bfe25236efd7cdc67066906315b2',
);

function clearSeeds(): Uint8Array[] {
  const init = ikeSaInitRequest();
  const resp = { ...init, header: { ...init.header, flags: HeaderFlag.RESPONSE, spiR: 42n } };
  return [encodeMessage(init), encodeMessage(resp), encodeMessage(ikeAuthRequest(), sk), RFC7634_B];
}

/** Inner-chain input: first payload type ‖ payload chain. */
function innerSeeds(): Uint8Array[] {
  return [ikeAuthRequest(), ikeAuthRequest(300), ikeSaInitRequest()].map((m) =>
    concat(new Uint8Array([m.payloads[0]?.type ?? 0]), encodePayloads(m.payloads)),
  );
}

const authHeader: IkeHeader = {
  spiI: 1n,
  spiR: 2n,
  nextPayload: 0,
  version: 0x20,
  exchange: ExchangeType.IKE_AUTH,
  flags: HeaderFlag.INITIATOR,
  messageId: 1,
  length: 0,
};

/** Builds an IKE_AUTH message whose SK payload seals `inner` as the payload chain, starting with type `first`. */
function sealed(first: number, inner: Uint8Array): Uint8Array {
  const bodyLength = sk.sealedLength(inner.byteLength);
  const w = new Writer(64);
  w.u64(authHeader.spiI).u64(authHeader.spiR).u8(46).u8(0x20).u8(authHeader.exchange).u8(authHeader.flags);
  w.u32(authHeader.messageId)
    .u32(32 + bodyLength)
    .u8(first)
    .u8(0)
    .u16(4 + bodyLength);
  const aad = w.finish();
  return concat(aad, sk.seal(aad, inner));
}

/** Fragment-stream input: records of number(1) total(1) nextPayload(1) flags(1) messageId(1) length(1) data. */
function fragmentSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const size of [400, 700]) {
    const w = new Writer(4096);
    const frags = encodeFragments(ikeAuthRequest(1200), sk, size).map((b) => decodeMessage(b, sk) as DecodedFragment);
    for (const f of [...frags].reverse()) {
      for (let o = 0; o < f.plaintext.byteLength || o === 0; o += 255) {
        const part = f.plaintext.subarray(o, o + 255);
        w.u8(f.number)
          .u8(f.total)
          .u8(f.nextPayload)
          .u8(f.header.flags)
          .u8(f.header.messageId)
          .u8(part.byteLength)
          .bytes(part);
        if (f.plaintext.byteLength <= 255) break;
      }
    }
    out.push(w.finish());
  }
  return out;
}

export const targets: FuzzTarget[] = [
  {
    name: 'decodeHeader',
    seeds: clearSeeds,
    run(input) {
      decodeHeader(input);
    },
  },
  {
    name: 'decodeMessage (no SK keys) + checkRules',
    seeds: clearSeeds,
    run(input) {
      const r = decodeMessage(input);
      if (r.kind === 'message') checkRules(r.message);
    },
  },
  {
    name: 'decodeMessage (SK test double) over sealed inner chains + checkRules',
    seeds: innerSeeds,
    run(input) {
      const r = decodeMessage(sealed(input[0] ?? 0, input.subarray(1)), sk);
      if (r.kind === 'message') checkRules(r.message);
    },
  },
  {
    name: 'FragmentReassembler',
    seeds: fragmentSeeds,
    run(input) {
      const ra = new FragmentReassembler({ maxFragments: 16, maxBytes: 8192 });
      let o = 0;
      while (o + 6 <= input.byteLength) {
        const [number = 0, total = 0, nextPayload = 0, flags = 0, messageId = 0, len = 0] = input.subarray(o, o + 6);
        const plaintext = input.subarray(o + 6, o + 6 + len);
        o += 6 + len;
        const header = { ...authHeader, flags, messageId };
        const m = ra.add({ kind: 'fragment', header, number, total, nextPayload, plaintext });
        if (m) checkRules(m);
      }
    },
  },
];
