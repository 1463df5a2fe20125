/**
 * Security Association payload (RFC 7296 §3.3), its Proposal (§3.3.1) and Transform (§3.3.2) substructures and
 * Transform Attributes (§3.3.5).
 *
 * SA payload body: one or more Proposal substructures.
 *
 * Proposal substructure (§3.3.1):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform substructure (§3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform attribute (§3.3.5), TV form when AF = 1 (Key Length, type 14, is always TV):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Last Substruc is 0 on the last proposal (transform), 2 (3) on the others.
 * A proposal holding a transform with an attribute other than Key Length is unusable (§3.3.6: such a proposal MUST
 * be rejected); the decoder drops it, so the proposal selection never sees it.
 */
import type { Reader, Writer } from '../../common/bytes.ts';
import type { Transform } from '../../crypto/types.ts';
import type { PayloadCodec } from './codec.ts';
import type { Proposal, SaPayload } from './types.ts';
import { PayloadType } from './types.ts';

/** Values of the Last Substruc field (§3.3.1, §3.3.2). */
export const LastSubstruc = { LAST: 0, MORE_PROPOSALS: 2, MORE_TRANSFORMS: 3 } as const;

/** Transform attribute types (§3.3.5). */
export const TransformAttribute = { KEY_LENGTH: 14 } as const;

const AF_TV = 0x8000;

function encodeTransform(t: Transform, last: boolean, w: Writer): void {
  w.u8(last ? LastSubstruc.LAST : LastSubstruc.MORE_TRANSFORMS).u8(0);
  w.lengthPrefixed(
    2,
    () => {
      w.u8(t.type).u8(0).u16(t.id);
      if (t.keyLength !== undefined) w.u16(AF_TV | TransformAttribute.KEY_LENGTH).u16(t.keyLength);
    },
    4,
  );
}

function encodeProposal(p: Proposal, last: boolean, w: Writer): void {
  w.u8(last ? LastSubstruc.LAST : LastSubstruc.MORE_PROPOSALS).u8(0);
  w.lengthPrefixed(
    2,
    () => {
      w.u8(p.num).u8(p.protocol).u8(p.spi.byteLength).u8(p.transforms.length).bytes(p.spi);
      p.transforms.forEach((t, i) => encodeTransform(t, i === p.transforms.length - 1, w));
    },
    4,
  );
}

/** Decodes one transform; `t` is undefined when it carries an attribute we do not understand. */
function decodeTransform(r: Reader, f: string): { t: Transform | undefined; last: boolean } {
  const lastByte = r.u8(`${f}.last`);
  if (lastByte !== LastSubstruc.LAST && lastByte !== LastSubstruc.MORE_TRANSFORMS) {
    r.fail(`${f}.last`, `Last Substruc ${lastByte} is neither 0 nor 3`, r.offset - 1);
  }
  r.skip(1, `${f}.reserved`);
  const len = r.u16(`${f}.length`);
  if (len < 8) r.fail(`${f}.length`, `transform length ${len} < 8`, r.offset - 2);
  const b = r.sub(len - 4, f);
  const type = b.u8('type');
  b.skip(1, 'reserved');
  const t: Transform = { type, id: b.u16('id') };
  let usable = true;
  while (!b.done) {
    const at = b.u16('attr.type');
    const attrType = at & 0x7fff;
    if (at & AF_TV) {
      const v = b.u16('attr.value');
      if (attrType === TransformAttribute.KEY_LENGTH && t.keyLength === undefined) t.keyLength = v;
      else usable = false;
    } else {
      b.skip(b.u16('attr.length'), 'attr.value');
      usable = false;
    }
  }
  return { t: usable ? t : undefined, last: lastByte === LastSubstruc.LAST };
}

/** Decodes one proposal; `p` is undefined when one of its transforms is unusable. */
function decodeProposal(r: Reader, f: string): { p: Proposal | undefined; last: boolean } {
  const lastByte = r.u8(`${f}.last`);
  if (lastByte !== LastSubstruc.LAST && lastByte !== LastSubstruc.MORE_PROPOSALS) {
    r.fail(`${f}.last`, `Last Substruc ${lastByte} is neither 0 nor 2`, r.offset - 1);
  }
  r.skip(1, `${f}.reserved`);
  const len = r.u16(`${f}.length`);
  if (len < 8) r.fail(`${f}.length`, `proposal length ${len} < 8`, r.offset - 2);
  const b = r.sub(len - 4, f);
  const num = b.u8('num');
  const protocol = b.u8('protocol');
  const spiSize = b.u8('spiSize');
  const count = b.u8('numTransforms');
  const spi = b.copy(spiSize, 'spi');
  const transforms: Transform[] = [];
  let usable = true;
  let seen = 0;
  let lastSeen = false;
  while (!b.done) {
    if (lastSeen) b.fail(`transform[${seen}]`, 'transform after the one marked last');
    const { t, last } = decodeTransform(b, `transform[${seen}]`);
    seen++;
    lastSeen = last;
    if (t) transforms.push(t);
    else usable = false;
  }
  if (seen !== count) b.fail('numTransforms', `declares ${count} transforms, has ${seen}`);
  if (seen > 0 && !lastSeen) b.fail('last', 'last transform not marked as last');
  return { p: usable ? { num, protocol, spi, transforms } : undefined, last: lastByte === LastSubstruc.LAST };
}

export const sa: PayloadCodec<SaPayload> = {
  name: 'SA',
  encode(p, w) {
    p.proposals.forEach((q, i) => encodeProposal(q, i === p.proposals.length - 1, w));
  },
  decode(r) {
    const proposals: Proposal[] = [];
    let lastSeen = false;
    for (let i = 0; !r.done; i++) {
      if (lastSeen) r.fail(`proposal[${i}]`, 'proposal after the last one');
      const { p, last } = decodeProposal(r, `proposal[${i}]`);
      lastSeen = last;
      if (p) proposals.push(p);
    }
    if (r.length > 0 && !lastSeen) r.fail('last', 'last proposal not marked as last');
    return { type: PayloadType.SA, proposals };
  },
};
