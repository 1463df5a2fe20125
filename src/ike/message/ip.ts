/**
 * IPv4/IPv6 text ↔ bytes, for traffic selectors and ID payloads. IPv6 text follows RFC 5952 (lower case, longest
 * run of two or more zero groups compressed).
 */
import { ConfigError } from '../../common/errors.ts';
import { isIPv4, isIPv6 } from 'node:net';

export function parseIPv4(s: string): Uint8Array {
  if (!isIPv4(s)) throw new ConfigError(`not an IPv4 address: ${s}`);
  return new Uint8Array(s.split('.').map(Number));
}

export function parseIPv6(s: string): Uint8Array {
  if (!isIPv6(s)) throw new ConfigError(`not an IPv6 address: ${s}`);
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    const b = parseIPv4(v4);
    const hi = (((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16);
    const lo = (((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (x: string) => (x ? x.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(rest ?? '');
  const fill = rest === undefined ? 0 : 8 - h.length - t.length;
  const words = [...h, ...new Array<number>(fill).fill(0), ...t];
  const out = new Uint8Array(16);
  words.slice(0, 8).forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** 4 or 16 bytes from a textual address of either family. */
export function parseIp(s: string): Uint8Array {
  if (isIPv4(s)) return parseIPv4(s);
  if (isIPv6(s)) return parseIPv6(s);
  throw new ConfigError(`not an IP address: ${s}`);
}

export function formatIp(b: Uint8Array): string {
  if (b.byteLength === 4) return Array.from(b).join('.');
  if (b.byteLength !== 16) return `<${b.byteLength}-byte address>`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
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
