/**
 * Fuzz targets for SWIMA: PA-TNC messages decoded with the SWIMA registry, the package-metadata parsers on
 * arbitrary text, and the receive paths of the `swima` collector and verifier inside their TNC hosts (a PA-TNC
 * message body delivered to both, exclusive and not). Only declared errors may escape.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { silentLogger } from '../../src/common/index.ts';
import { PaErrorCode, decodePaMessage, encodePaMessage } from '../../src/tnc/pa/index.ts';
import { PB_PA_ID_ANY } from '../../src/tnc/pb/index.ts';
import type { PbPaMessage } from '../../src/tnc/pb/index.ts';
import { createTncClient, createTncServer } from '../../src/tnc/imc-imv/index.ts';
import type { ConnectionContext } from '../../src/tnc/imc-imv/index.ts';
import { IETF_SWIMA, createSwimaImc, swimaError, swimaImcConfig } from '../../src/imc/swima/index.ts';
import { createSwimaImv } from '../../src/imv/swima/index.ts';
import {
  SwimaCollector,
  SwimaRequestFlag,
  parseApkInstalled,
  parseDpkgLog,
  parseDpkgStatus,
  parseSwidIdentity,
  swimaPaRegistry,
} from '../../src/swima/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { swimaAttributeByKind } from '../unit/swima/arbitraries.ts';

const td = new TextDecoder();
const te = new TextEncoder();

const SWID = { os: 'Debian_12', regid: 'debian.org', entityName: 'Debian Project' };
const STATUS = 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n';
const LOG =
  '2024-01-02 10:00:01 install bash:amd64 <none> 5.2.15-2\n2024-03-04 11:00:00 upgrade bash:amd64 5.2.15-2 5.2.15-2+b2\n';

/** The collector's package files, written once per process into a temp dir removed at exit. */
let files: { status: string; log: string } | undefined;
function packageFiles(): { status: string; log: string } {
  if (files) return files;
  const dir = mkdtempSync(join(tmpdir(), 'attestd-swima-fuzz-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  files = { status: join(dir, 'status'), log: join(dir, 'dpkg.log') };
  writeFileSync(files.status, STATUS);
  writeFileSync(files.log, LOG);
  return files;
}

const ctx = (): ConnectionContext => ({
  id: 'fuzz',
  peer: { method: 'none' },
  transport: 'in-process',
  log: silentLogger,
});

/** A PA-TNC message body to the `swima` collector and a fresh `swima` verifier (whose request id is 1). */
async function deliver(body: Uint8Array): Promise<void> {
  const f = packageFiles();
  const client = createTncClient({
    imcs: [createSwimaImc(swimaImcConfig({ dpkgStatus: f.status, dpkgLog: f.log, maxRecords: 50, ...SWID }))],
    context: ctx(),
  });
  const server = createTncServer({
    imvs: [
      createSwimaImv({
        policy: { isKnown: (n) => n !== 'x', isBlacklisted: (n) => n === 'y', securityFix: () => undefined },
        maxRecords: 50,
      }),
    ],
    context: ctx(),
  });
  await client.beginHandshake();
  await server.beginHandshake();
  for (const exclusive of [false, true]) {
    const m: PbPaMessage = {
      kind: 'pa',
      exclusive,
      paVendor: IETF_SWIMA.vendor,
      paSubtype: IETF_SWIMA.subtype,
      collectorId: 1,
      validatorId: exclusive ? 1 : PB_PA_ID_ANY,
      body,
    };
    await client.receive([m]);
    await server.receive([m]);
  }
  await client.beginHandshake(); // subscription fulfilment path
  await server.solicitRecommendation();
}

function moduleSeeds(): Uint8Array[] {
  const c = new SwimaCollector({
    ...SWID,
    packages: [{ name: 'bash', version: '5', arch: 'amd64' }],
    history: [{ timestamp: '2024-01-02T10:00:01Z', action: 'install', name: 'bash', arch: 'amd64', newVersion: '5' }],
    eidEpoch: 1,
  });
  const req = (flags: number, earliestEid: number, targets: string[] = []) => ({
    kind: 'ietf/swima-request' as const,
    noskip: false,
    flags,
    requestId: 1,
    earliestEid,
    targets,
  });
  const msgs = [
    [req(0, 0)],
    [req(SwimaRequestFlag.R, 0, ['debian.org__Debian_12-amd64-bash-5.2.15-2+b2'])],
    [req(SwimaRequestFlag.S, 1), req(SwimaRequestFlag.C, 0)],
    [{ kind: 'ietf/swima-subscription-status-request', noskip: false }],
    [c.respond(req(0, 0))],
    [c.respond(req(0, 1))],
    [c.respond(req(SwimaRequestFlag.R, 0))],
    [swimaError(PaErrorCode.SWIMA_RESPONSE_TOO_LARGE, 1, 'too large', 100)],
  ];
  return msgs.map((attributes, i) =>
    encodePaMessage({ messageId: i, attributes: attributes as never }, swimaPaRegistry),
  );
}

export const targets: FuzzTarget[] = [
  {
    name: 'attributes',
    seeds: () =>
      Object.values(swimaAttributeByKind).flatMap((arb, i) =>
        fc
          .sample(arb, { numRuns: 3, seed: 2000 + i })
          .map((a) => encodePaMessage({ messageId: i, attributes: [a] }, swimaPaRegistry)),
      ),
    run(input) {
      decodePaMessage(input, swimaPaRegistry);
    },
  },
  {
    name: 'package-metadata',
    seeds: () =>
      [
        'Package: a\nStatus: install ok installed\nVersion: 1\n\n',
        'P:a\nV:1\nA:x\n\n',
        '2024-01-02 10:00:01 upgrade a:amd64 1 2\n',
        '<SoftwareIdentity name="a" tagId="t" version="1">',
      ].map((s) => te.encode(s)),
    run(input) {
      const s = td.decode(input);
      parseDpkgStatus(s);
      parseApkInstalled(s);
      parseDpkgLog(s);
      parseSwidIdentity(s);
    },
  },
  {
    name: 'imc-imv-receive',
    seeds: moduleSeeds,
    run: deliver,
  },
];
