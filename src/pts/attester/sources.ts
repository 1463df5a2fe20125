/**
 * Evidence sources for the attester: the kernel's IMA list and firmware event log from securityfs, or from files
 * (tests, offline devices). Bounded reads (src/measure/collect.ts): an endless log is cut off.
 */
import { collectEventLog, collectIma, eventLogPath, imaListPath } from '../../measure/collect.ts';
import type { EventLog } from '../../measure/eventlog.ts';
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
}

export function imaSource(o: LogSourceOptions = {}): () => Promise<readonly ImaEntry[]> {
  const path = o.imaPath ?? imaListPath(o.templateHashAlg ?? 'sha1');
  return () => collectIma({ path, templateHashAlg: o.templateHashAlg ?? 'sha1', maxEntries: o.maxEntries ?? 500_000 });
}

export function bootLogSource(o: LogSourceOptions = {}): () => Promise<EventLog | undefined> {
  const path = o.bootLogPath ?? eventLogPath();
  return () => collectEventLog({ path });
}
