/**
 * Distinguished names for ID_DER_ASN1_DN identities (RFC 7296 §3.5): text like strongSwan's
 * `C=CH, O=strongSwan, CN=moon.strongswan.org` ↔ DER `Name` (RFC 5280 §4.1.2.4). Only the subset of DER that a
 * Name uses: SEQUENCE OF SET OF SEQUENCE { OBJECT IDENTIFIER, string }.
 * Values are PrintableString when they fit, UTF8String otherwise, IA5String for E and UN: strongSwan's choices
 * (src/libstrongswan/utils/identification.c x501rdns), so our IDs match its IDs byte for byte.
 */
import { Reader, Writer } from '../../common/bytes.ts';
import { ConfigError } from '../../common/errors.ts';
import { readAnyTlv, tlv } from '../../crypto/der.ts';

const Tag = {
  SEQUENCE: 0x30,
  SET: 0x31,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  T61: 0x14,
  IA5: 0x16,
  BMP: 0x1e,
} as const;

/** Attribute names as strongSwan prints them (src/libstrongswan/utils/identification.c). */
const ATTRS: readonly (readonly [string, string])[] = [
  ['CN', '2.5.4.3'],
  ['SN', '2.5.4.4'],
  ['serialNumber', '2.5.4.5'],
  ['C', '2.5.4.6'],
  ['L', '2.5.4.7'],
  ['ST', '2.5.4.8'],
  ['STREET', '2.5.4.9'],
  ['O', '2.5.4.10'],
  ['OU', '2.5.4.11'],
  ['T', '2.5.4.12'],
  ['D', '2.5.4.13'],
  ['N', '2.5.4.41'],
  ['G', '2.5.4.42'],
  ['I', '2.5.4.43'],
  ['dnQualifier', '2.5.4.46'],
  ['postalCode', '2.5.4.17'],
  ['UN', '1.2.840.113549.1.9.2'],
  ['pseudonym', '2.5.4.65'],
  ['E', '1.2.840.113549.1.9.1'],
  ['UID', '0.9.2342.19200300.100.1.1'],
  ['DC', '0.9.2342.19200300.100.1.25'],
];
const ALIASES: Record<string, string> = {
  emailaddress: '1.2.840.113549.1.9.1',
  email: '1.2.840.113549.1.9.1',
  surname: '2.5.4.4',
  givenname: '2.5.4.42',
  title: '2.5.4.12',
};
const byName = new Map(ATTRS.map(([n, o]) => [n.toLowerCase(), o]));
const byOid = new Map(ATTRS.map(([n, o]) => [o, n]));
const IA5_OIDS = new Set(['1.2.840.113549.1.9.1', '1.2.840.113549.1.9.2']);

function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new ConfigError(`bad OID ${oid}`);
  const w = new Writer(16);
  const base128 = (v: number) => {
    const bytes: number[] = [v % 128];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift((x % 128) | 0x80);
    for (const b of bytes) w.u8(b);
  };
  base128((arcs[0] ?? 0) * 40 + (arcs[1] ?? 0));
  for (const a of arcs.slice(2)) base128(a);
  return w.finish();
}

function decodeOid(b: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const x of b) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Splits on `sep` outside quotes and backslash escapes. */
function split(s: string, seps: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] ?? '');
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (!quoted && seps.includes(c)) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  let s = v.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  return s.replace(/\\([0-9a-fA-F]{2}|.)/g, (_m, g: string) =>
    g.length === 2 ? String.fromCharCode(parseInt(g, 16)) : g,
  );
}

/** Text DN → DER Name. Throws ConfigError on text that is not a DN. */
export function dnFromString(text: string): Uint8Array {
  const rdns: Uint8Array[] = [];
  for (const rdnText of split(text, ',;')) {
    if (!rdnText.trim()) throw new ConfigError(`empty RDN in DN "${text}"`);
    const atvs: Uint8Array[] = [];
    for (const atv of split(rdnText, '+')) {
      const eq = atv.indexOf('=');
      if (eq <= 0) throw new ConfigError(`"${atv.trim()}" is not TYPE=value in DN "${text}"`);
      const key = atv.slice(0, eq).trim();
      const oid = byName.get(key.toLowerCase()) ?? ALIASES[key.toLowerCase()] ?? (/^\d+(\.\d+)+$/.test(key) ? key : '');
      if (!oid) throw new ConfigError(`unknown DN attribute ${key}`);
      const value = unescape(atv.slice(eq + 1));
      const tag = IA5_OIDS.has(oid) ? Tag.IA5 : PRINTABLE.test(value) ? Tag.PRINTABLE : Tag.UTF8;
      atvs.push(tlv(Tag.SEQUENCE, tlv(Tag.OID, encodeOid(oid)), tlv(tag, new TextEncoder().encode(value))));
    }
    rdns.push(tlv(Tag.SET, ...atvs));
  }
  return tlv(Tag.SEQUENCE, ...rdns);
}

function escapeValue(v: string): string {
  return v.replace(/([,+;"\\<>])/g, '\\$1');
}

/** DER Name → text in strongSwan's style (`C=CH, O=strongSwan, CN=moon`). ParseError on malformed DER. */
export function dnToString(der: Uint8Array): string {
  const r = new Reader(der, 'dn');
  const { tag, body } = readAnyTlv(r, 'name');
  if (tag !== Tag.SEQUENCE) r.fail('name.tag', `expected SEQUENCE, got 0x${tag.toString(16)}`, 0);
  r.end();
  const parts: string[] = [];
  for (let i = 0; !body.done; i++) {
    const rdn = readAnyTlv(body, `rdn[${i}]`);
    if (rdn.tag !== Tag.SET) body.fail(`rdn[${i}]`, 'expected SET');
    const atvs: string[] = [];
    for (let j = 0; !rdn.body.done; j++) {
      const atv = readAnyTlv(rdn.body, `atv[${j}]`);
      if (atv.tag !== Tag.SEQUENCE) rdn.body.fail(`atv[${j}]`, 'expected SEQUENCE');
      const oid = readAnyTlv(atv.body, 'type');
      if (oid.tag !== Tag.OID) atv.body.fail('type', 'expected OBJECT IDENTIFIER');
      const o = decodeOid(oid.body.rest());
      const val = readAnyTlv(atv.body, 'value');
      atv.body.end();
      const raw = val.body.rest();
      const text =
        val.tag === Tag.UTF8 || val.tag === Tag.PRINTABLE || val.tag === Tag.IA5 || val.tag === Tag.T61
          ? escapeValue(new TextDecoder().decode(raw))
          : `#${Buffer.from(raw).toString('hex')}`;
      atvs.push(`${byOid.get(o) ?? o}=${text}`);
    }
    parts.push(atvs.join(' + '));
  }
  return parts.join(', ');
}
