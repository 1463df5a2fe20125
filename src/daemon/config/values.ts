/**
 * Value syntaxes of swanctl.conf(5), as charon's vici_config.c and swanctl's load_conns.c/load_creds.c read them.
 * Each parser throws a ConfigError whose message says what was expected; the caller adds the file position.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '../../common/errors.ts';

/** strtoul(…, 0) over the whole string: decimal, `0x` hex or `0` octal; no sign, no blanks. */
function parseUnsigned(s: string, what: string): { value: number; rest: string } {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) throw new ConfigError(`expected ${what}`);
  const digits = m[1]!;
  const value =
    digits.startsWith('0x') || digits.startsWith('0X')
      ? parseInt(digits.slice(2), 16)
      : digits.length > 1 && digits.startsWith('0')
        ? parseInt(digits.slice(1), 8)
        : parseInt(digits, 10);
  return { value, rest: s.slice(digits.length) };
}

/** An unsigned integer (vici_config.c parse_uint32/parse_uint64), optionally capped. */
export function parseUint(s: string, max = 0xffffffff): number {
  const { value, rest } = parseUnsigned(s, 'an unsigned integer');
  if (rest) throw new ConfigError(`expected an unsigned integer, found '${s}'`);
  if (value > max) throw new ConfigError(`${value} is larger than ${max}`);
  return value;
}

const TRUE = new Set(['yes', 'true', 'enabled', '1']);
const FALSE = new Set(['no', 'false', 'disabled', '0']);

/** yes/true/enabled/1 or no/false/disabled/0, any case (vici_config.c parse_bool via parse_map, strcaseeq). */
export function parseBool(s: string): boolean {
  const l = s.toLowerCase();
  if (TRUE.has(l)) return true;
  if (FALSE.has(l)) return false;
  throw new ConfigError(`expected yes or no, found '${s}'`);
}

/** One of the given (lower-case) words, matched in any case as charon's parse_map does. */
export function parseChoice<T extends string>(s: string, choices: readonly T[]): T {
  const l = s.toLowerCase();
  const found = choices.find((c) => c === l);
  if (found === undefined) throw new ConfigError(`expected one of ${choices.join(', ')}, found '${s}'`);
  return found;
}

const TIME_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** A duration in seconds: a number with an optional s/m/h/d suffix (vici_config.c parse_time). */
export function parseTime(s: string): number {
  const { value, rest } = parseUnsigned(s, 'a time such as 30s, 10m, 4h or 1d');
  const unit = rest.trimStart().toLowerCase();
  const factor = TIME_UNITS[unit];
  if (factor === undefined) throw new ConfigError(`bad time suffix '${rest.trim()}' in '${s}' (use s, m, h or d)`);
  return value * factor;
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A volume in bytes: a number with an optional k/m/g suffix (powers of 1024; vici_config.c parse_bytes). */
export function parseBytes(s: string): number {
  const { value, rest } = parseUnsigned(s, 'a byte count such as 512k, 100m or 2g');
  const unit = rest.trimStart().toLowerCase();
  const factor = BYTE_UNITS[unit];
  if (factor === undefined) throw new ConfigError(`bad byte suffix '${rest.trim()}' in '${s}' (use k, m or g)`);
  return value * factor;
}

/**
 * A comma-separated list as swanctl splits it (load_conns.c add_list_key → enumerator_create_token(value, ",", " ")):
 * separators and spaces (not tabs) around items are dropped, empty items skipped, and an item that starts with `"` or
 * `'` runs to the matching quote (so it may contain commas), the quotes removed.
 */
export function parseList(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (i >= s.length) break;
    const q = s[i];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, i + 1);
      if (end >= 0) {
        out.push(s.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    const comma = s.indexOf(',', i);
    const end = comma < 0 ? s.length : comma;
    const item = s.slice(i, end).replace(/ +$/, '');
    if (item) out.push(item);
    i = end + 1;
  }
  return out;
}

/** A secret value: `0x` hex, `0s` base64, else the UTF-8 text (load_creds.c load_secret). */
export function decodeSecret(s: string): Uint8Array {
  const prefix = s.slice(0, 2).toLowerCase();
  if (prefix === '0x') {
    const hex = s.slice(2);
    if (hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex)) throw new ConfigError('bad hex after 0x');
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  if (prefix === '0s') {
    const b64 = s.slice(2);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new ConfigError('bad base64 after 0s');
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }
  return new TextEncoder().encode(s);
}

/** IP protocol names understood in `[proto/port]` (a subset of getprotobyname(3)). */
const PROTOCOLS: Record<string, number> = {
  any: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};

/** Service names understood as ports (a subset of getservbyname(3)). */
const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  http: 80,
  ntp: 123,
  snmp: 161,
  ldap: 389,
  https: 443,
  isakmp: 500,
  syslog: 514,
  'ipsec-nat-t': 4500,
};

export interface TrafficSelectorSpec {
  /** `dynamic`: the IKE address or virtual IP; `subnet`: CIDR or single address; `range`: from-to. */
  kind: 'dynamic' | 'subnet' | 'range';
  /** First address (subnet base or range start); undefined for dynamic. */
  from: string | undefined;
  /** Range end; undefined otherwise. */
  to: string | undefined;
  /** Prefix length for subnets (32/128 for a single address). */
  prefix: number | undefined;
  family: 4 | 6 | undefined;
  /** IP protocol, 0 = any. */
  protocol: number;
  /** Port range; [65535, 0] is OPAQUE (RFC 4301). Default [0, 65535]. */
  fromPort: number;
  toPort: number;
}

const family = (a: string): 4 | 6 | undefined => (isIPv4(a) ? 4 : isIPv6(a) ? 6 : undefined);

function parsePort(s: string): number {
  const svc = SERVICES[s];
  if (svc !== undefined) return svc;
  try {
    return parseUint(s, 0xffff);
  } catch {
    throw new ConfigError(`bad port '${s}' (a number, a service name, 'opaque' or a range a-b)`);
  }
}

/**
 * A traffic selector of `local_ts`/`remote_ts` (vici_config.c parse_ts): `dynamic`, a CIDR subnet, a single
 * address or a range `a-b`, optionally followed by `[proto/port]`, e.g. `10.1.0.0/16[tcp/http]`, `dynamic[udp/500]`,
 * `::/0[ipv6-icmp/128]`.
 */
export function parseTrafficSelector(s: string): TrafficSelectorSpec {
  let body = s;
  let protocol = 0;
  let fromPort = 0;
  let toPort = 0xffff;
  const open = s.indexOf('[');
  if (open >= 0) {
    const close = s.lastIndexOf(']');
    if (close < open || close !== s.length - 1) throw new ConfigError(`traffic selector '${s}': unbalanced '[…]'`);
    body = s.slice(0, open);
    const inner = s.slice(open + 1, close);
    const slash = inner.indexOf('/');
    const proto = slash >= 0 ? inner.slice(0, slash) : inner;
    const port = slash >= 0 ? inner.slice(slash + 1) : '';
    const named = PROTOCOLS[proto.toLowerCase()];
    if (named !== undefined) protocol = named;
    else {
      try {
        protocol = parseUint(proto, 0xff);
      } catch {
        throw new ConfigError(`traffic selector '${s}': unknown protocol '${proto}'`);
      }
    }
    if (port === 'opaque') {
      fromPort = 0xffff;
      toPort = 0;
    } else if (port && port !== 'any') {
      const dash = port.indexOf('-', 1);
      try {
        fromPort = parsePort(dash > 0 ? port.slice(0, dash) : port);
        toPort = dash > 0 ? parsePort(port.slice(dash + 1)) : fromPort;
      } catch (e) {
        throw new ConfigError(`traffic selector '${s}': ${(e as Error).message}`);
      }
    }
  }
  const base = { protocol, fromPort, toPort };
  if (body === 'dynamic')
    return { kind: 'dynamic', from: undefined, to: undefined, prefix: undefined, family: undefined, ...base };
  const dash = body.indexOf('-');
  if (dash >= 0) {
    const from = body.slice(0, dash);
    const to = body.slice(dash + 1);
    const f = family(from);
    if (!f || family(to) !== f)
      throw new ConfigError(`traffic selector '${s}': a range needs two addresses of one family`);
    return { kind: 'range', from, to, prefix: undefined, family: f, ...base };
  }
  const slash = body.indexOf('/');
  const addr = slash >= 0 ? body.slice(0, slash) : body;
  const f = family(addr);
  if (!f)
    throw new ConfigError(`traffic selector '${s}': expected dynamic, a subnet (10.1.0.0/16), an address or a range`);
  const max = f === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = body.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max)
      throw new ConfigError(`traffic selector '${s}': bad prefix length '${p}'`);
    prefix = Number(p);
  }
  return { kind: 'subnet', from: addr, to: undefined, prefix, family: f, ...base };
}
