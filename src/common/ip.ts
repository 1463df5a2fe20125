/**
 * IPv4/IPv6 addresses: family, text → bytes (4 or 16, network order) and bytes → text. Text in is what `node:net`
 * accepts as an address (no zone index: bytes cannot carry one); IPv6 text out follows RFC 5952 §4 (lower case,
 * the longest run of two or more zero groups compressed, the first of equal runs).
 */
import { isIP } from 'node:net';
import { ConfigError } from './errors.ts';

export type IpFamily = 4 | 6;

/** 4 or 6 for a textual address of that family; undefined for anything else. */
export function ipFamily(text: string): IpFamily | undefined {
  const family = isIP(text);
  return family === 4 || family === 6 ? family : undefined;
}

/** The bytes of a textual address (of `family` when given); ConfigError for anything else. */
export function ipToBytes(text: string, family?: IpFamily): Uint8Array {
  const found = ipFamily(text);
  if (found === undefined || (family !== undefined && found !== family) || text.includes('%')) {
    throw new ConfigError(`not an ${family === undefined ? 'IP' : `IPv${family}`} address: ${text}`);
  }
  if (found === 4) return Uint8Array.from(text.split('.').map(Number));
  let s = text;
  // A trailing dotted quad (`::ffff:192.0.2.1`) stands for the last two groups.
  const lastColon = s.lastIndexOf(':');
  const quad = s.slice(lastColon + 1);
  if (quad.includes('.')) {
    const b = ipToBytes(quad, 4);
    const group = (i: number) => (((b[i] as number) << 8) | (b[i + 1] as number)).toString(16);
    s = `${s.slice(0, lastColon + 1)}${group(0)}:${group(2)}`;
  }
  const [head = '', tail] = s.split('::');
  const groups = (x: string) => (x ? x.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail ?? '');
  const words = [...h, ...new Array<number>(tail === undefined ? 0 : 8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Text of a 4- or 16-byte address (RFC 5952 for IPv6); `<n-byte address>` for any other length. */
export function ipToText(b: Uint8Array): string {
  if (b.byteLength === 4) return Array.from(b).join('.');
  if (b.byteLength !== 16) return `<${b.byteLength}-byte address>`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}
