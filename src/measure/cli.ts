/**
 * `attestd measure <dirs> [--manifest FILE] [--cache FILE]`: measures the trees, optionally with a persistent cache,
 * optionally writing the manifest (text form for one algorithm, JSON otherwise or when FILE ends in .json).
 * Does file-system I/O through tree.ts; verifier code must not import this module.
 */
import { writeFile, rename } from 'node:fs/promises';
import type { Logger } from '../common/log.ts';
import type { HashName } from './hash.ts';
import { writeManifestJson, writeManifestText, type Manifest } from './manifest.ts';
import { measureTree, treeManifest, type TreeError, type TreeStats } from './tree.ts';
import { TreeCache } from './tree-cache.ts';

export interface MeasureOptions {
  algorithms?: HashName[];
  /** Where to write the manifest. */
  manifest?: string;
  /** Cache file (created if missing). */
  cache?: string;
  concurrency?: number;
  maxFiles?: number;
  maxPathLength?: number;
  logger?: Logger;
}

export interface MeasureResult {
  stats: TreeStats;
  manifest: Manifest;
  errors: TreeError[];
}

export async function measure(dirs: string[], o: MeasureOptions = {}): Promise<MeasureResult> {
  const algorithms = o.algorithms ?? ['sha256'];
  const cache = o.cache ? await TreeCache.load(o.cache) : undefined;
  const r = await measureTree(dirs, {
    algorithms,
    ...(cache ? { cache } : {}),
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(o.maxFiles === undefined ? {} : { maxFiles: o.maxFiles }),
    ...(o.maxPathLength === undefined ? {} : { maxPathLength: o.maxPathLength }),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  if (cache && o.cache) await cache.save(o.cache);
  const manifest = treeManifest(r);
  if (o.manifest) {
    const json = o.manifest.endsWith('.json') || algorithms.length > 1;
    const tmp = `${o.manifest}.${process.pid}.tmp`;
    await writeFile(tmp, json ? writeManifestJson(manifest) : writeManifestText(manifest));
    await rename(tmp, o.manifest);
  }
  return { stats: r.stats, manifest, errors: r.errors };
}
