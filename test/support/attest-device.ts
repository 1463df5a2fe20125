/**
 * A provisioned test device for the `attest` modules: a swtpm with an ECC AIK at the default handle, a temp file
 * tree, a firmware event log extended into PCRs 0 and 7, and an IMA (ima-ng) list of the tree's files extended into
 * PCR 10, both logs written as files; plus the reference manifest of the known-good tree (sha256sum form).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, utf8 } from '../../src/common/index.ts';
import { Tpm } from '../../src/tpm/client.ts';
import { createAik } from '../../src/tpm/aik.ts';
import type { AikInfo } from '../../src/tpm/aik.ts';
import { TPM_ALG } from '../../src/tpm/types/constants.ts';
import { SwtpmTransport } from '../../src/tpm/transport/swtpm.ts';
import { EventType } from '../../src/measure/eventlog.ts';
import { buildEventLog, buildEventLogBytes, separator } from '../../src/measure/eventlog-builder.ts';
import type { EventSpec } from '../../src/measure/eventlog-builder.ts';
import type { EventLog } from '../../src/measure/eventlog.ts';
import { bootAggregateEntry, buildImaLog } from '../../src/measure/ima-builder.ts';
import { bootAggregate, encodeImaBinary } from '../../src/measure/ima.ts';
import type { ImaEntry } from '../../src/measure/ima.ts';
import { imaExtendValue } from '../../src/measure/replay.ts';
import type { RefStore } from '../../src/refdb/store.ts';
import { startSwtpm } from './swtpm.ts';
import type { Swtpm } from './swtpm.ts';

export const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

export interface Device {
  sw: Swtpm;
  aik: AikInfo;
  root: string;
  bin: string;
  files: Record<string, string>;
  imaPath: string;
  bootPath: string;
  refPath: string;
  /** The collector's TCTI. */
  tcti: string;
  cleanup(): Promise<void>;
}

/** The firmware events of a test device: CRTM and Secure Boot configuration in PCRs 0 and 7, then separators. */
export const TEST_BOOT_EVENTS: EventSpec[] = [
  { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: utf8('crtm 1.0') },
  { pcr: 7, type: EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data: utf8('SecureBoot=1') },
  separator(0),
  separator(7),
];

/**
 * A measured boot on `tpm`, as firmware and the kernel would do it: the firmware `events` (sha1 and sha256 banks,
 * locality 0) extended into their PCRs, then the IMA list (ima-ng, sha1 template hashes) of boot_aggregate and
 * `files` extended into PCR 10. Returns both logs.
 */
export async function measuredBoot(
  tpm: Tpm,
  files: readonly { path: string; digest: Uint8Array }[],
  events: readonly EventSpec[] = TEST_BOOT_EVENTS,
): Promise<{ bootLog: EventLog; bootBytes: Uint8Array; ima: ImaEntry[] }> {
  const opts = { banks: ['sha1' as const, 'sha256' as const], locality: 0 };
  const bootLog = buildEventLog(events, opts);
  for (const e of bootLog.events) {
    if (e.type === EventType.EV_NO_ACTION) continue;
    await tpm.pcrExtend(
      e.pcr,
      e.digests.map((d) => ({ hashAlg: d.alg, digest: d.digest })),
    );
  }
  // boot_aggregate first (H of PCRs 0-9 after boot), then the files as measured at boot.
  const boot = await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }]);
  const ima = [
    bootAggregateEntry(bootAggregate(boot.banks.get(TPM_ALG.SHA256)!, 'sha256'), 'sha256', { templateHashAlg: 'sha1' }),
    ...buildImaLog(files, { templateHashAlg: 'sha1' }),
  ];
  for (const e of ima) {
    await tpm.pcrExtend(10, [
      { hashAlg: TPM_ALG.SHA1, digest: imaExtendValue(e, 'sha1') },
      { hashAlg: TPM_ALG.SHA256, digest: imaExtendValue(e, 'sha256') },
    ]);
  }
  return { bootLog, bootBytes: buildEventLogBytes(events, opts), ima };
}

export interface ProvisionOptions {
  /** Where the measured binaries live below the device root (default `bin`; `usr/bin` for a root-fs layout). */
  binDir?: string;
  /** The measured files, name → content (default three small binaries `ls`, `cat`, `sh`). */
  files?: Record<string, string>;
}

export async function provisionDevice(o: ProvisionOptions = {}): Promise<Device> {
  const files: Record<string, string> = o.files ?? { ls: 'ELF ls v1', cat: 'ELF cat v1', sh: 'ELF sh v1' };
  const root = mkdtempSync(join(tmpdir(), 'attestd-imv-attest-'));
  let sw: Swtpm | undefined;
  try {
    const bin = join(root, o.binDir ?? 'bin');
    mkdirSync(bin, { recursive: true });
    for (const [n, c] of Object.entries(files)) writeFileSync(join(bin, n), c);
    const refPath = join(root, 'reference.sha256');
    const lines = Object.entries(files).map(([n, c]) => `${toHex(sha256(utf8(c)))}  ${join(bin, n)}`);
    writeFileSync(refPath, ['# algorithm sha256', ...lines, ''].join('\n'));
    sw = await startSwtpm();
    const transport = new SwtpmTransport({ port: sw.port, ctrlPort: sw.ctrlPort });
    const imaPath = join(root, 'binary_runtime_measurements');
    const bootPath = join(root, 'binary_bios_measurements');
    let aik: AikInfo;
    try {
      const tpm = new Tpm(transport);
      aik = await createAik(tpm, { type: 'ecc', parent: 'srk', parentType: 'ecc' });
      const { bootBytes, ima } = await measuredBoot(
        tpm,
        Object.entries(files).map(([n, c]) => ({ path: join(bin, n), digest: sha256(utf8(c)) })),
      );
      writeFileSync(bootPath, bootBytes);
      writeFileSync(imaPath, encodeImaBinary(ima));
    } finally {
      await transport.close(); // the collector opens its own connection from its TCTI
    }
    const started = sw;
    return {
      sw,
      aik,
      root,
      bin,
      files,
      imaPath,
      bootPath,
      refPath,
      tcti: `swtpm:host=127.0.0.1,port=${sw.port}`,
      async cleanup() {
        await started.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await sw?.stop();
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

/** A TPM with an AIK after a measured boot, held open by the test itself (the attester talks to `tpm`). */
export interface BootedTpm {
  sw: Swtpm;
  transport: SwtpmTransport;
  tpm: Tpm;
  aik: AikInfo;
  /** A temp dir with `bin/<name>` for every file given. */
  root: string;
  bootLog: EventLog;
  ima: ImaEntry[];
  close(): Promise<void>;
}

/**
 * A fresh swtpm with an ECC AIK, `files` (name → content) written under `<root>/bin`, and a measured boot (measuredBoot)
 * whose IMA list holds `imaFiles` (default: the same files as /usr/bin/<name>).
 */
export async function bootedTpm(
  files: Record<string, Uint8Array | string>,
  o: {
    imaFiles?: readonly { path: string; digest: Uint8Array }[];
    events?: readonly EventSpec[];
    prefix?: string;
  } = {},
): Promise<BootedTpm> {
  const root = mkdtempSync(join(tmpdir(), o.prefix ?? 'attestd-tpm-device-'));
  let sw: Swtpm | undefined;
  let transport: SwtpmTransport | undefined;
  try {
    mkdirSync(join(root, 'bin'));
    for (const [n, c] of Object.entries(files)) writeFileSync(join(root, 'bin', n), c);
    sw = await startSwtpm();
    transport = new SwtpmTransport({ port: sw.port, ctrlPort: sw.ctrlPort });
    const tpm = new Tpm(transport);
    const aik = await createAik(tpm, { type: 'ecc', parent: 'srk', parentType: 'ecc' });
    const imaFiles =
      o.imaFiles ??
      Object.entries(files).map(([n, c]) => ({
        path: `/usr/bin/${n}`,
        digest: sha256(typeof c === 'string' ? utf8(c) : c),
      }));
    const { bootLog, ima } = await measuredBoot(tpm, imaFiles, o.events);
    const [s, t] = [sw, transport];
    return {
      sw,
      transport,
      tpm,
      aik,
      root,
      bootLog,
      ima,
      async close() {
        await t.close();
        await s.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await transport?.close();
    await sw?.stop();
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

/** The device's files as reference hashes of `product` in `store`, and its AIK enrolled for it as a trusted device. */
export async function enrolDevice(store: RefStore, d: Device, product: number): Promise<void> {
  await store.importFileHashes(
    product,
    Object.entries(d.files).map(([n, c]) => ({
      path: join(d.bin, n),
      algo: 'sha256' as const,
      digest: toHex(sha256(utf8(c))),
    })),
  );
  await store.addDevice({ value: toHex(d.aik.keyId), product, trusted: true });
}
