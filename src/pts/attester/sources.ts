/**
 * Evidence sources for the attester: the kernel's IMA list and firmware event log from securityfs, or from files
 * (tests, offline devices). Bounded reads (src/measure/collect.ts): an endless log is cut off.
 *
 * With `cache`, a log that is a regular file is parsed once and reused while its (device, inode, size, mtime, ctime)
 * stay the same — the same stat before and after the read, and a ctime older than the racy window of
 * src/measure/file-digest-cache.ts. securityfs files report size 0 and a fixed time, so they are read every time.
 * A cached log is shared by every caller: it must not be modified.
 */
import { stat } from 'node:fs/promises';
import { collectEventLog, collectIma, eventLogPath, imaListPath } from '../../measure/collect.ts';
import type { EventLog } from '../../measure/eventlog.ts';
import { isRacyMs, type FileStamp } from '../../measure/file-digest-cache.ts';
import type { HashName } from '../../measure/hash.ts';
import type { ImaEntry } from '../../measure/ima.ts';

export interface LogSourceOptions {
  /** Binary IMA list (default securityfs' binary_runtime_measurements). */
  imaPath?: string;
  /** Template hash algorithm of that list (sha1 for the legacy list). */
  templateHashAlg?: HashName;
  /** Binary firmware event log (default securityfs' tpm0/binary_bios_measurements). */
  bootLogPath?: string;
  /** Most IMA entries read (default 500,000). */
  maxEntries?: number;
  /** Reuse the parsed log of an unchanged regular file (default false). */
  cache?: boolean;
}

const sameStamp = (a: FileStamp, b: FileStamp) =>
  a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.dev === b.dev;

/** A cacheable stamp of `path`: a regular file with content (securityfs logs are neither). */
async function stampOf(path: string): Promise<FileStamp | undefined> {
  const st = await stat(path);
  return st.isFile() && st.size > 0 ? st : undefined;
}

/** `load` of `path`, remembered while the file's stamp stays the same. */
function cached<T>(path: string, load: () => Promise<T>): () => Promise<T> {
  let memo: { stamp: FileStamp; value: T } | undefined;
  return async () => {
    const before = await stampOf(path).catch(() => undefined);
    if (memo && before && sameStamp(memo.stamp, before)) return memo.value;
    memo = undefined;
    const started = Date.now();
    const value = await load();
    const after = await stampOf(path).catch(() => undefined);
    if (before && after && sameStamp(before, after) && !isRacyMs(after.ctimeMs, started)) {
      const { dev, ino, size, mtimeMs, ctimeMs } = after;
      memo = { stamp: { dev, ino, size, mtimeMs, ctimeMs }, value };
    }
    return value;
  };
}

export function imaSource(o: LogSourceOptions = {}): () => Promise<readonly ImaEntry[]> {
  const path = o.imaPath ?? imaListPath(o.templateHashAlg ?? 'sha1');
  const load = () =>
    collectIma({ path, templateHashAlg: o.templateHashAlg ?? 'sha1', maxEntries: o.maxEntries ?? 500_000 });
  return o.cache ? cached<readonly ImaEntry[]>(path, load) : load;
}

export function bootLogSource(o: LogSourceOptions = {}): () => Promise<EventLog | undefined> {
  const path = o.bootLogPath ?? eventLogPath();
  const load = () => collectEventLog({ path });
  return o.cache ? cached<EventLog | undefined>(path, load) : load;
}
