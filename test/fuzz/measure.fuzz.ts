/** Fuzz targets of src/measure: IMA binary and ASCII lists, firmware event logs, manifests. */
import { createHash } from 'node:crypto';
import type { FuzzTarget } from '../support/harness.ts';
import {
  parseImaAscii,
  parseImaBinary,
  checkTemplateHashes,
  decodeEvent,
  encodeImaBinary,
} from '../../src/measure/ima.ts';
import { buildImaLog } from '../../src/measure/ima-builder.ts';
import { parseEventLog, encodeEventLog } from '../../src/measure/eventlog.ts';
import { buildEventLogBytes, separator } from '../../src/measure/eventlog-builder.ts';
import { EventType } from '../../src/measure/eventlog.ts';
import { replayEventLog, replayIma, replayImaBinary } from '../../src/measure/replay.ts';
import { parseManifest, writeManifestText, writeManifestJson, emptyManifest } from '../../src/measure/manifest.ts';
import { encodeImaAscii } from '../../src/measure/ima.ts';

const d = (s: string, alg = 'sha256') => new Uint8Array(createHash(alg).update(s).digest());
const imaEntries = () =>
  buildImaLog([
    { path: 'boot_aggregate', digest: d('b') },
    { path: '/usr/bin/bash', digest: d('bash') },
    { path: '/a b', digest: d('x'), template: 'ima-sig', sig: new Uint8Array([1, 2, 3]) },
    { path: 'kexec-cmdline', digest: d('k'), template: 'ima-buf', buf: new Uint8Array([0x41]) },
    { path: '/bin/old', digest: d('o', 'sha1'), template: 'ima' },
    { path: '/v', digest: new Uint8Array(32), violation: true },
  ]);
const limits = { maxEntries: 1000, maxEntrySize: 4096 };

export const targets: FuzzTarget[] = [
  {
    name: 'ima-binary-streaming-replay',
    seeds: () => [encodeImaBinary(imaEntries())],
    run(input) {
      replayImaBinary(input, { bank: 'sha256', templateHashAlg: 'sha1', limits });
      replayImaBinary(input, { bank: 'sha1', templateHashAlg: 'sha1', mode: 'padded-sha1', limits });
    },
  },
  {
    name: 'ima-binary',
    seeds: () => [encodeImaBinary(imaEntries())],
    run(input) {
      const e = parseImaBinary(input, limits);
      checkTemplateHashes(e, 'sha1');
      for (const x of e) decodeEvent(x);
      replayIma(e, 'sha256');
      encodeImaBinary(e);
    },
  },
  {
    name: 'ima-ascii',
    seeds: () => [encodeImaAscii(imaEntries())],
    run(input) {
      const e = parseImaAscii(input, limits);
      checkTemplateHashes(e, 'sha1');
      for (const x of e) decodeEvent(x);
      encodeImaAscii(e);
      encodeImaBinary(e);
    },
  },
  {
    name: 'eventlog',
    seeds: () => [
      buildEventLogBytes(
        [
          { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: new Uint8Array([0x31, 0]) },
          { pcr: 4, type: EventType.EV_EFI_BOOT_SERVICES_APPLICATION, data: new Uint8Array(8) },
          separator(7),
        ],
        { locality: 3 },
      ),
    ],
    run(input) {
      const log = parseEventLog(input, { maxEvents: 1000, maxEventSize: 4096 });
      encodeEventLog(log);
      replayEventLog(log, log.format === 'sha1' ? 'sha1' : 'sha256');
    },
  },
  {
    name: 'manifest',
    seeds: () => {
      const m = emptyManifest(['sha256']);
      m.files.set('/usr/bin/a b', { sha256: 'ab'.repeat(32) });
      m.files.set('/x\\y\nz', { sha256: 'cd'.repeat(32) });
      m.symlinks.set('/l', 'x');
      return [new TextEncoder().encode(writeManifestText(m)), new TextEncoder().encode(writeManifestJson(m))];
    },
    run(input) {
      const m = parseManifest(new TextDecoder().decode(input), { maxFiles: 1000 });
      writeManifestJson(m);
      if (m.algorithms.length) writeManifestText(m);
    },
  },
];
