/**
 * Collection of the kernel's logs: the IMA runtime measurement list and the TPM firmware event log from securityfs.
 * File-system I/O: verifier code must not import this (lint rule on `measure/collect*`); parsing is in ima.ts and
 * eventlog.ts.
 */
import { open } from 'node:fs/promises';
import { concat } from '../common/bytes.ts';
import { LimitError } from '../common/errors.ts';
import type { HashName } from './hash.ts';
import { parseImaBinary, type ImaEntry, type ImaParseOptions } from './ima.ts';
import { parseEventLog, type EventLog, type EventLogParseOptions } from './eventlog.ts';

export const SECURITYFS = '/sys/kernel/security';

/** Path of the binary IMA list: the legacy SHA-1 list, or the per-bank list of Linux ≥ 6.? (`…_sha256`). */
export function imaListPath(templateHashAlg: HashName = 'sha1', root = SECURITYFS): string {
  return templateHashAlg === 'sha1'
    ? `${root}/ima/binary_runtime_measurements`
    : `${root}/ima/binary_runtime_measurements_${templateHashAlg}`;
}

export function eventLogPath(root = SECURITYFS, tpm = 'tpm0'): string {
  return `${root}/${tpm}/binary_bios_measurements`;
}

/**
 * Reads a file of unknown size (securityfs files report size 0) in chunks up to `max` bytes (LimitError beyond),
 * so an endless or huge log is cut off.
 */
export async function readBounded(path: string, max: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(256 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max) throw new LimitError('collect.maxBytes', `${path} is larger than ${max} bytes`);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return concat(...chunks);
  } finally {
    await fh.close();
  }
}

export async function collectIma(
  opts: ImaParseOptions & { path?: string; maxBytes?: number } = {},
): Promise<ImaEntry[]> {
  const path = opts.path ?? imaListPath(opts.templateHashAlg);
  return parseImaBinary(await readBounded(path, opts.maxBytes ?? 512 * 1024 * 1024), opts);
}

export async function collectEventLog(
  opts: EventLogParseOptions & { path?: string; maxBytes?: number } = {},
): Promise<EventLog> {
  const path = opts.path ?? eventLogPath();
  return parseEventLog(await readBounded(path, opts.maxBytes ?? 16 * 1024 * 1024), opts);
}
