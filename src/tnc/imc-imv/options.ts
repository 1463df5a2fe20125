/**
 * Reading a module's options (the `imc-<name>` / `imv-<name>` section of the daemon's configuration, or a PT-TLS
 * module config): one set of rules for every collector and verifier, each error a ConfigError naming the module
 * and the key. Values come as parsed by the settings reader (strings, numbers, booleans, lists) or from code.
 *
 *   string   a non-empty string
 *   int      a safe integer in [min, max], given as a number or a decimal or 0x-hex string
 *   flag     true/false, or yes/no, true/false, 1/0 in any case
 *   list     a list of non-empty strings, or one string split at commas and white space (a single number: itself)
 */
import { ConfigError } from '../../common/errors.ts';

export class ModuleOptions {
  readonly raw: Readonly<Record<string, unknown>>;
  /** How errors name the module, e.g. `imv attest`. */
  readonly module: string;

  constructor(raw: Readonly<Record<string, unknown>>, module: string) {
    this.raw = raw;
    this.module = module;
  }

  fail(k: string, what: string): never {
    throw new ConfigError(`${this.module}: ${k} must be ${what}`);
  }

  string(k: string): string | undefined {
    const v = this.raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') this.fail(k, 'a non-empty string');
    return v;
  }

  int(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.raw[k];
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) this.fail(k, `an integer ${min}..${max}`);
    return n;
  }

  flag(k: string): boolean | undefined {
    const v = this.raw[k];
    if (v === undefined || typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(yes|true|1)$/i.test(v)) return true;
    if (typeof v === 'string' && /^(no|false|0)$/i.test(v)) return false;
    return this.fail(k, 'yes or no');
  }

  list(k: string, what = 'a list of strings'): string[] {
    const v = this.raw[k];
    if (v === undefined) return [];
    if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
    if (typeof v === 'number') return [String(v)];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '')) return v as string[];
    return this.fail(k, what);
  }
}
