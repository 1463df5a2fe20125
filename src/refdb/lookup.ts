/**
 * The reference lookups the verifiers (src/pts/verify, src/imv) take by injection. They are declared here for the
 * store side; a verifier declares the same shapes in its own layer (it cannot import refdb) and RefStore satisfies
 * them structurally. Every lookup is one query per batch of paths or names, never one per file.
 */
import type { HashName } from '../measure/hash.ts';
import type { ComponentHash, PackageInfo, StoredHash } from './types.ts';
import type { RefStore } from './store.ts';

export interface FileReferenceLookup {
  /** path → reference digests (every algorithm and version, or one algorithm); unknown paths are absent. */
  fileHashes(product: number, paths: readonly string[], algo?: HashName): Promise<Map<string, StoredHash[]>>;
}

export interface DeviceTrustLookup {
  /** False for unknown, untrusted or inactive devices: no trust on first use here (the policy engine decides). */
  isDeviceTrusted(aikKeyId: string): Promise<boolean>;
}

export interface PackageLookup {
  packageVersions(product: number, names: readonly string[]): Promise<Map<string, PackageInfo>>;
}

export interface ComponentLookup {
  componentHashes(
    component: { vendorId: number; name: number; qualifier: number },
    device: number,
    algo: HashName,
  ): Promise<ComponentHash[]>;
}

export type ReferenceLookup = FileReferenceLookup & DeviceTrustLookup & PackageLookup & ComponentLookup;

/** The store as the verifiers see it (compile-time check that it satisfies every lookup). */
export function referenceLookup(store: RefStore): ReferenceLookup {
  return store;
}

/**
 * A per-attestation adapter for a verifier that thinks in product names and hex: resolves the product once and
 * answers `path → Set<hex digest>` for one algorithm.
 */
export async function productFileDigests(
  store: FileReferenceLookup & { productByName(name: string): Promise<{ id: number } | undefined> },
  product: string,
  paths: readonly string[],
  algo: HashName,
): Promise<Map<string, Set<string>>> {
  const p = await store.productByName(product);
  const out = new Map<string, Set<string>>();
  if (!p) return out;
  for (const [path, list] of await store.fileHashes(p.id, paths, algo)) {
    out.set(path, new Set(list.map((h) => Buffer.from(h.digest).toString('hex'))));
  }
  return out;
}
