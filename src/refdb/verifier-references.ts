/**
 * The reference database as the verifiers see it: the PTS verifier's PtsReferences and the SWIMA verifier's
 * PackagePolicy, each answered from a RefStore (SQLite or PostgreSQL) with one query per batch of paths.
 *
 * Which product's reference values apply: the product of the device (looked up by its AIK key id) when the database
 * knows one, else the product the verifier was configured with. Looked-up reference digests are kept between
 * attestations while the database's reference generation (bumped by every import) stays the same; trust in an AIK
 * is read afresh every time, so revoking a device takes effect at its next attestation. A device the database does not know, or does not
 * trust, is not trusted (no trust on first use here: `attestd refdb devices trust KEYID` enrols one).
 */
import { toHex } from '../common/bytes.ts';
import type { HashName } from '../measure/hash.ts';
import { BIOS_COMPONENT } from '../pts/components.ts';
import type { BootReferenceEvent, PtsReferences, ReferenceContext } from '../pts/verify/references.ts';
import type { PackagePolicy } from '../swima/verify.ts';
import type { RefStore } from './store.ts';
import type { PackageInfo } from './types.ts';

export interface RefdbReferenceOptions {
  /** Product whose reference values apply to devices the database has no product for. */
  product?: string;
}

/** Most reference paths a verifier keeps between attestations (per product and algorithm, all together). */
export const MAX_CACHED_PATHS = 1_000_000;

export class RefdbPtsReferences implements PtsReferences {
  readonly #store: RefStore;
  readonly #product: string | undefined;
  /** What one attestation (one context object) resolved: its product and the reference generation. */
  readonly #perAttestation = new WeakMap<
    object,
    { product: Promise<number | undefined>; generation: Promise<number> }
  >();
  /**
   * Reference digests looked up, by `product\0algo` then path ([] = no reference), valid while the database's
   * reference generation stays the same: a fleet of one product shares them, and an import is seen at once.
   */
  readonly #cache = new Map<string, Map<string, Uint8Array[]>>();
  #cacheGeneration: number | undefined;
  #cachedPaths = 0;

  constructor(store: RefStore, o: RefdbReferenceOptions = {}) {
    this.#store = store;
    this.#product = o.product;
  }

  async #resolveProduct(ctx: ReferenceContext | undefined): Promise<number | undefined> {
    if (ctx?.aikKeyId) {
      const d = await this.#store.deviceByValue(toHex(ctx.aikKeyId));
      if (d?.product != null) return d.product;
    }
    return this.#product ? (await this.#store.productByName(this.#product))?.id : undefined;
  }

  #attestation(ctx: ReferenceContext | undefined): {
    product: Promise<number | undefined>;
    generation: Promise<number>;
  } {
    const fresh = () => ({ product: this.#resolveProduct(ctx), generation: this.#store.referenceGeneration() });
    if (!ctx) return fresh();
    let a = this.#perAttestation.get(ctx);
    if (!a) this.#perAttestation.set(ctx, (a = fresh()));
    return a;
  }

  async fileHashes(
    paths: readonly string[],
    algo: HashName,
    ctx?: ReferenceContext,
  ): Promise<ReadonlyMap<string, readonly Uint8Array[]>> {
    const att = this.#attestation(ctx);
    const [product, generation] = await Promise.all([att.product, att.generation]);
    const out = new Map<string, Uint8Array[]>();
    if (product === undefined || paths.length === 0) return out;
    if (this.#cacheGeneration !== undefined && generation < this.#cacheGeneration) {
      // An attestation that began before an import finishes without the cache (which holds newer values).
      for (const [p, list] of await this.#store.fileHashes(product, paths, algo))
        out.set(
          p,
          list.map((h) => h.digest),
        );
      return out;
    }
    if (generation !== this.#cacheGeneration) {
      this.#cache.clear();
      this.#cachedPaths = 0;
      this.#cacheGeneration = generation;
    }
    const key = `${product}\0${algo}`;
    let known = this.#cache.get(key);
    if (!known) this.#cache.set(key, (known = new Map()));
    const missing: string[] = [];
    for (const p of paths) {
      const d = known.get(p);
      if (d === undefined) missing.push(p);
      else if (d.length) out.set(p, d);
    }
    if (missing.length) {
      const got = await this.#store.fileHashes(product, missing, algo);
      for (const [p, list] of got)
        out.set(
          p,
          list.map((h) => h.digest),
        );
      // Kept only under the generation the lookup was made for (an import in between starts a new cache anyway),
      // and within the bound (past it, the cache starts over).
      if (generation === this.#cacheGeneration) {
        if (this.#cachedPaths + missing.length > MAX_CACHED_PATHS) {
          this.#cache.clear();
          this.#cache.set(key, known);
          known.clear();
          this.#cachedPaths = 0;
        }
        for (const p of missing) known.set(p, out.get(p) ?? []);
        this.#cachedPaths += missing.length;
      }
    }
    return out;
  }

  /** The device's product and the reference generation this attestation resolved (incremental IMA's token). */
  async referenceVersion(ctx?: ReferenceContext): Promise<string> {
    const att = this.#attestation(ctx);
    const [product, generation] = await Promise.all([att.product, att.generation]);
    return `product ${product ?? '-'} generation ${generation}`;
  }

  isTrustedAik(keyId: Uint8Array): Promise<boolean> {
    return this.#store.isDeviceTrusted(toHex(keyId));
  }

  async bootReference(keyId: Uint8Array, bank: HashName): Promise<readonly BootReferenceEvent[] | undefined> {
    const d = await this.#store.deviceByValue(toHex(keyId));
    if (!d) return undefined;
    const rows = await this.#store.componentHashes(
      { vendorId: BIOS_COMPONENT.vendor, name: BIOS_COMPONENT.name, qualifier: BIOS_COMPONENT.qualifier },
      d.id,
      bank,
    );
    return rows.length ? rows.map((r) => ({ pcr: r.pcr, digest: r.digest })) : undefined;
  }

  imaReference(
    paths: readonly string[],
    algo: HashName,
    ctx?: ReferenceContext,
  ): Promise<ReadonlyMap<string, readonly Uint8Array[]>> {
    return this.fileHashes(paths, algo, ctx);
  }
}

/**
 * Package policy of a product: a package is known when the database lists it; blacklisted when the package or the
 * installed version is; security-outdated when a newer version of it is a security update. Answers come from one
 * query per batch of package names (`prefetch`), or one per package otherwise; answers are cached until the next
 * `prefetch` of the same names.
 */
export class RefdbPackagePolicy implements PackagePolicy {
  readonly #store: RefStore;
  readonly #product: string;
  #productId: Promise<number | undefined> | undefined;
  readonly #cache = new Map<string, PackageInfo | null>();

  constructor(store: RefStore, product: string) {
    this.#store = store;
    this.#product = product;
  }

  #pid(): Promise<number | undefined> {
    this.#productId ??= this.#store.productByName(this.#product).then((p) => p?.id);
    return this.#productId;
  }

  /**
   * Looks up many packages in one query batch (the verifier calls it once per inventory). Every inventory reads the
   * database afresh, so a package blacklisted while the daemon runs counts from the next assessment on.
   */
  async prefetch(names: readonly string[]): Promise<void> {
    const unique = [...new Set(names)];
    if (!unique.length) return;
    const pid = await this.#pid();
    const got = pid === undefined ? new Map<string, PackageInfo>() : await this.#store.packageVersions(pid, unique);
    if (this.#cache.size + unique.length > 200_000) this.#cache.clear();
    for (const n of unique) this.#cache.set(n, got.get(n) ?? null);
  }

  async #info(name: string): Promise<PackageInfo | null> {
    if (!this.#cache.has(name)) await this.prefetch([name]);
    return this.#cache.get(name) ?? null;
  }

  async isKnown(name: string): Promise<boolean> {
    const i = await this.#info(name);
    return i !== null && (i.blacklist || i.versions.length > 0);
  }

  async isBlacklisted(name: string, version: string): Promise<boolean> {
    const i = await this.#info(name);
    if (!i) return false;
    return i.blacklist || i.versions.some((v) => v.release === version && v.blacklist);
  }

  async securityFix(name: string, version: string): Promise<string | undefined> {
    const i = await this.#info(name);
    if (!i) return undefined;
    // Versions come newest first; a security release newer than the installed one is a missing fix.
    const at = i.versions.findIndex((v) => v.release === version);
    const newer = at < 0 ? [] : i.versions.slice(0, at);
    return newer.find((v) => v.security)?.release;
  }
}
