/**
 * The OS verifier's reference values, reached through an injected interface: the reference database (a later
 * layer) implements `OsPolicySource`; `configOsPolicy` serves a policy from configuration now. Lookups are
 * synchronous because verifiers run inside one PB-TNC step; a database-backed source preloads or caches.
 */
import { ConfigError } from '../../common/index.ts';
import type { ConnectionContext } from '../../tnc/imc-imv/index.ts';

export interface ForbiddenPackage {
  name: string;
  /** Forbidden versions (exact); absent = every version. */
  versions?: string[];
}

export interface OsPolicy {
  /** Product names allowed (exact, or /regex/); absent = any product. */
  allowedProducts?: string[];
  forbiddenPackages?: ForbiddenPackage[];
  /** IP forwarding must be disabled (default true). */
  forwardingOff?: boolean;
  /** The factory default password must be disabled (default true). */
  defaultPasswordOff?: boolean;
  /** Open TCP ports allowed; absent = ports are not checked. */
  allowedTcpPorts?: number[];
  /** Open UDP ports allowed; absent = ports are not checked. */
  allowedUdpPorts?: number[];
}

export interface OsPolicySource {
  /** The policy for the endpoint on this connection (may depend on its identity). */
  policyFor(ctx: ConnectionContext): OsPolicy;
}

/** One policy for every endpoint. */
export function configOsPolicy(policy: OsPolicy): OsPolicySource {
  return { policyFor: () => policy };
}

const strings = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new ConfigError(`imv os: ${what} must be strings`);
  return v as string[];
};
const ports = (v: unknown, what: string): number[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff))
    throw new ConfigError(`imv os: ${what} must be port numbers`);
  return v as number[];
};
const bool = (v: unknown, what: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`imv os: ${what} must be true or false`);
  return v;
};

/** Validates an OS policy from configuration (JSON). */
export function parseOsPolicy(raw: Record<string, unknown>): OsPolicy {
  const p: OsPolicy = {};
  const products = strings(raw.allowedProducts, 'allowedProducts');
  if (products) {
    for (const s of products) if (s.startsWith('/')) regexOf(s);
    p.allowedProducts = products;
  }
  if (raw.forbiddenPackages !== undefined) {
    if (!Array.isArray(raw.forbiddenPackages)) throw new ConfigError('imv os: forbiddenPackages must be a list');
    p.forbiddenPackages = raw.forbiddenPackages.map((e: unknown) => {
      if (typeof e === 'string') return { name: e };
      if (typeof e !== 'object' || e === null || typeof (e as { name?: unknown }).name !== 'string')
        throw new ConfigError('imv os: a forbidden package is a name or { name, versions }');
      const versions = strings((e as { versions?: unknown }).versions, 'forbiddenPackages[].versions');
      return { name: (e as { name: string }).name, ...(versions ? { versions } : {}) };
    });
  }
  const fwd = bool(raw.forwardingOff, 'forwardingOff');
  if (fwd !== undefined) p.forwardingOff = fwd;
  const pwd = bool(raw.defaultPasswordOff, 'defaultPasswordOff');
  if (pwd !== undefined) p.defaultPasswordOff = pwd;
  const tcp = ports(raw.allowedTcpPorts, 'allowedTcpPorts');
  if (tcp) p.allowedTcpPorts = tcp;
  const udp = ports(raw.allowedUdpPorts, 'allowedUdpPorts');
  if (udp) p.allowedUdpPorts = udp;
  return p;
}

/** `/expr/flags` → RegExp. */
export function regexOf(s: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(s);
  if (!m) throw new ConfigError(`imv os: '${s}' is not a /regex/`);
  try {
    return new RegExp(m[1]!, m[2]!);
  } catch (e) {
    throw new ConfigError(`imv os: bad regex ${s}`, { cause: e });
  }
}
