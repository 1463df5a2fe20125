/**
 * The reference database as the verifiers see it: the PTS verifier's PtsReferences and the SWIMA verifier's
 * PackagePolicy, each answered from a RefStore (SQLite or PostgreSQL) with one query per batch of paths.
 *
 * Which product's reference values apply: the product of the device (looked up by its AIK key id) when the database
 * knows one, else the product the verifier was configured with. A device the database does not know, or does not
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

export class RefdbPtsReferences implements PtsReferences {
  readonly #store: RefStore;
  readonly #product: string | undefined;
  /** Product id per device key (or '' for the configured product): one lookup per attestation. */
  readonly #products = new Map<string, Promise<number | undefined>>();

  constructor(store: RefStore, o: RefdbReferenceOptions = {}) {
    this.#store = store;
    this.#product = o.product;
  }

  #productFor(ctx: ReferenceContext | undefined): Promise<number | undefined> {
    const key = ctx?.aikKeyId ? toHex(ctx.aikKeyId) : '';
    let p = this.#products.get(key);
    if (!p) {
      p = (async () => {
        if (key) {
          const d = await this.#store.deviceByValue(key);
          if (d?.product != null) return d.product;
        }
        return this.#product ? (await this.#store.productByName(this.#product))?.id : undefined;
      })();
      // Bounded: a verifier object lives per module; forget old devices rather than grow without end.
      if (this.#products.size >= 4096) this.#products.clear();
      this.#products.set(key, p);
      p.catch(() => this.#products.delete(key));
    }
    return p;
  }

  /**
   * Digests already fetched for one evaluation, per algorithm (the verifier passes one context object per
   * attestation): the IMA lookup of paths the file lookup already asked for costs no second query.
   */
  readonly #fetched = new WeakMap<ReferenceContext, Map<HashName, Map<string, Uint8Array[]>>>();

  async fileHashes(
    paths: readonly string[],
    algo: HashName,
    ctx?: ReferenceContext,
  ): Promise<ReadonlyMap<string, readonly Uint8Array[]>> {
    const product = await this.#productFor(ctx);
    const out = new Map<string, Uint8Array[]>();
    if (product === undefined || paths.length === 0) return out;
    let memo: Map<string, Uint8Array[]> | undefined;
    if (ctx) {
      let byAlgo = this.#fetched.get(ctx);
      if (!byAlgo) this.#fetched.set(ctx, (byAlgo = new Map()));
      memo = byAlgo.get(algo);
      if (!memo) byAlgo.set(algo, (memo = new Map()));
    }
    const missing = memo ? paths.filter((p) => !memo.has(p)) : paths;
    if (missing.length) {
      const got = await this.#store.fileHashes(product, missing, algo);
      for (const [path, list] of got) {
        const digests = list.map((h) => h.digest);
        out.set(path, digests);
        memo?.set(path, digests);
      }
      if (memo) for (const p of missing) if (!got.has(p)) memo.set(p, []);
    }
    if (memo && missing.length !== paths.length)
      for (const p of paths) {
        const d = memo.get(p);
        if (d?.length) out.set(p, d);
      }
    return out;
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
