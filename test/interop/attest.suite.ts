/**
 * `npm run interop -- attest`: our attestation collector (TCG PTS over a real swtpm, SWIMA over a dpkg status file)
 * against our verifiers, whose reference values come from the reference database — on SQLite and on PostgreSQL,
 * in process and over PT-TLS. The database is built the way the README does it, with `attestd refdb` (products,
 * reference hashes measured from the device image, package versions from a dpkg status file, the device's AIK
 * enrolled), and every verdict is read back from the database with its reasons:
 *
 *   clean device → allow; changed binary → no access naming its path; IMA log that does not replay to the quoted
 *   PCR 10 → no access; quote replayed from an earlier exchange (stale nonce) → no access; AIK unknown to the
 *   database / known but not trusted → no access; blacklisted package → isolate naming the package; malformed AIK
 *   evidence → no access; more files than the verifier's limit → cut off, no access.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, toHex } from '../../src/common/index.ts';
import { command as refdbCommand } from '../../src/cli/commands/refdb.ts';
import { builtinImcs, imvBuiltinsFor } from '../../src/daemon/attestation.ts';
import { encodeImaBinary, parseImaBinary } from '../../src/measure/ima.ts';
import { buildImaLog } from '../../src/measure/ima-builder.ts';
import { openStore } from '../../src/refdb/open.ts';
import type { RefStore } from '../../src/refdb/store.ts';
import { recordAssessment, recordSide } from '../../src/refdb/assessments.ts';
import { recommendationWord } from '../../src/refdb/policy.ts';
import { createTncSide, loadImc, loadImv, runInProcess } from '../../src/tnc/imc-imv/index.ts';
import type { ConnectionContext, ImcModule, ImvModule } from '../../src/tnc/imc-imv/index.ts';
import type { PaAttribute } from '../../src/tnc/pa/attribute.ts';
import { ActionRecommendation } from '../../src/tnc/pb/index.ts';
import { ptTlsAssess, startAssessmentServer } from '../../src/tnc/pt-tls-assess.ts';
import { loopbackServer, makeTestPki } from '../unit/tnc/pt-tls/certs.ts';
import { provisionDevice, sha256 } from '../support/attest-device.ts';
import type { Device } from '../support/attest-device.ts';
import { POSTGRES_COMMANDS, startPostgres } from '../support/postgres.ts';
import type { PostgresInstance } from '../support/postgres.ts';
import { hasCommand } from '../support/env.ts';
import { utf8 } from '../../src/common/index.ts';

type Scenario = (name: string, fn: () => Promise<string | void>) => Promise<boolean>;
interface Ctx {
  scenario: Scenario;
  log: (s: string) => void;
}

const PRODUCT = 'Attestd Test OS 1';

function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const ctx = (id: string, peer: ConnectionContext['peer'] = { method: 'none' }): ConnectionContext => ({
  id,
  peer,
  transport: 'in-process',
  log: silentLogger,
});

/** Runs `attestd refdb --db URI …` in process (the CLI's own code), its output captured. */
async function refdb(uri: string, ...args: string[]): Promise<string> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    const code = await refdbCommand.run(['--db', uri, ...args]);
    check(code === 0, `attestd refdb ${args.join(' ')}: exit ${code}: ${lines.join('\n')}`);
  } finally {
    console.log = orig;
  }
  return lines.join('\n');
}

/** The collector modules of a device (TPM evidence over its swtpm; its dpkg status for SWIMA when present). */
async function collectors(dev: Device, o: { imaLog?: string; dpkgStatus?: string } = {}): Promise<ImcModule[]> {
  const imcs: ImcModule[] = [
    await loadImc(
      { name: 'attest', config: { tcti: dev.tcti, imaLog: o.imaLog ?? dev.imaPath, bootLog: dev.bootPath } },
      builtinImcs,
    ),
  ];
  if (o.dpkgStatus && Object.hasOwn(builtinImcs, 'swima'))
    imcs.push(await loadImc({ name: 'swima', config: { dpkgStatus: o.dpkgStatus } }, builtinImcs));
  return imcs;
}

/** The verifiers, as the daemon builds them with `attestd.database` set. */
async function verifiers(
  store: RefStore,
  dev: Device,
  o: { swima?: boolean; maxFiles?: number; policyFiles?: boolean } = {},
): Promise<ImvModule[]> {
  const builtins = imvBuiltinsFor(store);
  const imvs = [
    await loadImv(
      {
        name: 'attest',
        config: {
          product: PRODUCT,
          // Without files of its own the verifier measures what the database's policies say.
          ...(o.policyFiles ? {} : { files: `${dev.bin}/` }),
          requiredPcrs: '0, 7, 10',
          ...(o.maxFiles ? { maxFiles: o.maxFiles } : {}),
        },
      },
      builtins,
    ),
  ];
  if (o.swima && Object.hasOwn(builtins, 'swima'))
    imvs.push(await loadImv({ name: 'swima', config: { product: PRODUCT } }, builtins));
  return imvs;
}

async function close(imcs: ImcModule[]): Promise<void> {
  for (const m of imcs) await (m as { close?: () => Promise<void> }).close?.();
}

/** A collector whose outgoing attributes pass through `map` (an attacker between the TPM and the wire). */
function tapped(imc: ImcModule, map: (a: PaAttribute) => PaAttribute): ImcModule {
  return {
    ...imc,
    connect(c) {
      const conn = imc.connect(c);
      return {
        beginHandshake: () => conn.beginHandshake(),
        async receive(msg) {
          const out = await conn.receive(msg);
          for (const m of out) m.attributes = m.attributes.map(map);
          return out;
        },
        ...(conn.result ? { result: conn.result.bind(conn) } : {}),
      };
    },
  };
}

/** A collector whose Simple Evidence Final (the quote) is captured, or replaced by the captured one. */
const quoteTap = (imc: ImcModule, tape: { final?: PaAttribute }, mode: 'capture' | 'replay') =>
  tapped(imc, (a) => {
    if (a.kind !== 'tcg/pts-simple-evid-final') return a;
    if (mode === 'capture') tape.final = a;
    return mode === 'replay' && tape.final ? tape.final : a;
  });

/** A collector whose AIK evidence is replaced by bytes that are no public key. */
const garbledAik = (imc: ImcModule) =>
  tapped(imc, (a) =>
    a.kind === 'tcg/pts-aik' ? ({ ...a, naked: true, aik: new Uint8Array(64).fill(0x30) } as PaAttribute) : a,
  );

interface Assessed {
  recommendation: number;
  reasons: string[];
  session: number;
}

/** One in-process assessment; the verdicts are stored with recordSide, as the daemon does. */
async function assessInProcess(
  store: RefStore,
  imcs: ImcModule[],
  imvs: ImvModule[],
  identity: string,
): Promise<Assessed> {
  const client = createTncSide({ transport: 'client', imcs, context: ctx(identity) });
  // The verifier knows the device by the identity its transport authenticated (here: a certificate subject).
  const server = createTncSide({
    transport: 'server',
    imvs,
    context: ctx('verifier', { method: 'certificate', subject: identity }),
  });
  await runInProcess(client, server);
  const session = await recordSide(store, server, { identity });
  const v = server.outcome().verdict;
  return { recommendation: v?.recommendation ?? ActionRecommendation.NO_ACCESS, reasons: v?.reasons ?? [], session };
}

/**
 * One in-process attestation of `dev` with its own collectors (optionally passed through `tap`) against the
 * database verifiers; the collectors are closed afterwards.
 */
async function attestDevice(
  db: RefStore,
  dev: Device,
  o: {
    collector?: { imaLog?: string; dpkgStatus?: string };
    verifier?: Parameters<typeof verifiers>[2];
    tap?: (imc: ImcModule) => ImcModule;
  } = {},
): Promise<Assessed> {
  const imcs = await collectors(dev, o.collector);
  try {
    return await assessInProcess(db, o.tap ? imcs.map(o.tap) : imcs, await verifiers(db, dev, o.verifier), 'device-a');
  } finally {
    await close(imcs);
  }
}

/** Reads a stored session back: its recommendation and every verifier's reasons. */
async function stored(
  store: RefStore,
  session: number,
): Promise<{ rec: string; reasons: string[]; device: string | null; summary: string }> {
  const s = await store.session(session);
  check(s, `session ${session} was not stored`);
  const verdicts = await store.verdicts(session);
  check(verdicts.length > 0, `session ${session} has no verdicts`);
  const device = s.device === null ? null : ((await store.device(s.device))?.value ?? null);
  const reasons = verdicts.flatMap((v) => v.reasons);
  return {
    rec: recommendationWord(s.rec),
    reasons,
    device,
    summary: `session ${session}: ${recommendationWord(s.rec)} [${verdicts.map((v) => `${v.imv}: ${recommendationWord(v.rec)}`).join(', ')}]`,
  };
}

const short = (r: string) => (r.length > 110 ? `${r.slice(0, 107)}…` : r);

export async function run({ scenario, log }: Ctx): Promise<void> {
  if (!hasCommand('swtpm') || !hasCommand('swtpm_setup')) throw new Error('swtpm is not installed (scripts/setup.sh)');
  const work = mkdtempSync(join(tmpdir(), 'attestd-attest-suite-'));
  const dev = await provisionDevice({ binDir: 'usr/bin' });
  let pg: PostgresInstance | undefined;
  const pki = await makeTestPki();
  const aik = toHex(dev.aik.keyId);
  const swima = Object.hasOwn(builtinImcs, 'swima');
  try {
    // A dpkg status of the device image: two packages, one of which will be blacklisted.
    const dpkgStatus = join(work, 'status');
    writeFileSync(
      dpkgStatus,
      [
        'Package: coreutils\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9.1-1\n',
        'Package: telnetd\nStatus: install ok installed\nArchitecture: amd64\nVersion: 0.17-44\n',
      ].join('\n'),
    );
    // An IMA log that does not replay to PCR 10: one more measurement than the TPM saw.
    const tamperedIma = join(work, 'ima-tampered');
    const entries = parseImaBinary(readFileSync(dev.imaPath));
    const extra = buildImaLog([{ path: join(dev.bin, 'ls'), digest: sha256(utf8('ELF ls v1')) }], {
      templateHashAlg: 'sha1',
    });
    writeFileSync(tamperedIma, encodeImaBinary([...entries, ...extra]));

    const backends: { name: string; uri: () => Promise<string> }[] = [
      { name: 'sqlite', uri: async () => `sqlite:${join(work, 'refdb.sqlite')}` },
    ];
    if (POSTGRES_COMMANDS.every((c) => hasCommand(c))) {
      backends.push({
        name: 'postgresql',
        uri: async () => {
          pg ??= await startPostgres();
          return pg.createDatabase('attest_suite');
        },
      });
    } else {
      await scenario('PostgreSQL backend', async () => {
        throw new Error(`PostgreSQL is not installed (${POSTGRES_COMMANDS.join(', ')}); run scripts/setup.sh`);
      });
    }

    for (const b of backends) {
      const tag = `[${b.name}]`;
      const uri = await b.uri();
      let store: RefStore | undefined;
      const ok = await scenario(
        `${tag} reference database built with attestd refdb from the device image`,
        async () => {
          await refdb(uri, 'products', 'add', PRODUCT);
          const imported = await refdb(uri, '--json', 'hashes', 'import', '--product', PRODUCT, '--measure', dev.bin);
          await refdb(uri, 'packages', 'import', '--product', PRODUCT, '--dpkg-status', dpkgStatus);
          await refdb(uri, 'devices', 'add', aik, '--product', PRODUCT, '--trusted');
          store = await openStore(uri);
          const p = await store.productByName(PRODUCT);
          check(p, 'product missing');
          const n = await store.countFileHashes(p.id);
          check(n >= Object.keys(dev.files).length, `${n} reference hashes`);
          check(await store.isDeviceTrusted(aik), 'the enrolled AIK is not trusted');
          return `${n} reference hashes (${imported.trim()}), AIK ${aik.slice(0, 12)}… enrolled and trusted`;
        },
      );
      if (!ok || !store) continue;
      const db = store;
      try {
        const expect = async (
          name: string,
          run: () => Promise<Assessed>,
          want: 'allow' | 'isolate' | 'no access',
          mention: (r: string) => boolean,
          what: string,
        ) =>
          scenario(`${tag} ${name}`, async () => {
            const a = await run();
            const s = await stored(db, a.session);
            check(
              recommendationWord(a.recommendation) === want,
              `verdict ${recommendationWord(a.recommendation)}: ${a.reasons.join('; ')}`,
            );
            check(s.rec === want, `stored ${s.rec}, expected ${want}`);
            if (want === 'allow') check(s.reasons.length === 0, `allowed with reasons: ${s.reasons.join('; ')}`);
            else check(s.reasons.some(mention), `no stored reason mentions ${what}: ${s.reasons.join('; ')}`);
            const hit = s.reasons.find(mention);
            return `${s.summary}${hit ? `; "${short(hit)}"` : ''}`;
          });

        await expect(
          'clean device, in process: allowed, session stored',
          async () => {
            return attestDevice(db, dev, { collector: swima ? { dpkgStatus } : {}, verifier: { swima } });
          },
          'allow',
          () => true,
          '',
        );

        await expect(
          'clean device over PT-TLS (TLS 1.3, client certificate): allowed, session stored',
          async () => {
            const imcs = await collectors(dev);
            const imvs = await verifiers(db, dev);
            let stored: Promise<number> | undefined;
            const server = await startAssessmentServer({
              ...loopbackServer(pki),
              clientAuth: 'tls',
              imvs,
              log: silentLogger,
              onAssessment: ({ peer, outcome, verdicts }) => {
                stored = recordAssessment(db, {
                  identity: peer?.method === 'certificate' ? peer.subject : 'unknown',
                  verdicts,
                  recommendation: outcome?.verdict?.recommendation ?? ActionRecommendation.NO_ACCESS,
                });
              },
            });
            try {
              const r = await ptTlsAssess({
                host: '127.0.0.1',
                port: server.port,
                ca: pki.ca,
                servername: pki.serverName,
                cert: pki.client.cert,
                key: pki.client.key,
                imcs,
                log: silentLogger,
              });
              check(r.session.tlsVersion === 'TLSv1.3', `TLS ${r.session.tlsVersion}`);
              for (let i = 0; i < 100 && !stored; i++) await new Promise((res) => setTimeout(res, 20));
              check(stored, 'the server reported no assessment');
              const session = await stored;
              const s = await db.session(session);
              return {
                recommendation: s!.rec,
                reasons: (await db.verdicts(session)).flatMap((v) => v.reasons),
                session,
              };
            } finally {
              await server.close();
              await close(imcs);
            }
          },
          'allow',
          () => true,
          '',
        );

        const victim = join(dev.bin, 'cat');
        await expect(
          'a /usr/bin binary changed after its reference measurement: no access, the path named',
          async () => {
            writeFileSync(victim, 'ELF cat v2 (trojaned)');
            try {
              return await attestDevice(db, dev);
            } finally {
              writeFileSync(victim, dev.files.cat!);
            }
          },
          'no access',
          (r) => r.includes(victim) && r.includes('does not match the reference'),
          victim,
        );

        await expect(
          'an IMA log whose replay does not match the quoted PCR 10: no access',
          async () => {
            return attestDevice(db, dev, { collector: { imaLog: tamperedIma } });
          },
          'no access',
          (r) => /PCR [\d,]*10/.test(r) && r.includes('do not match the quoted PCR digest'),
          'PCR 10 not matching the quote',
        );

        await expect(
          'a quote made for an earlier nonce (replayed from the previous exchange): no access',
          async () => {
            const tape: { final?: PaAttribute } = {};
            const first = await collectors(dev);
            try {
              const a = await assessInProcess(
                db,
                [quoteTap(first[0]!, tape, 'capture')],
                await verifiers(db, dev),
                'device-a',
              );
              check(a.recommendation === ActionRecommendation.ALLOW, 'the capturing exchange was not allowed');
            } finally {
              await close(first);
            }
            check(tape.final, 'no quote captured');
            const second = await collectors(dev);
            try {
              return await assessInProcess(
                db,
                [quoteTap(second[0]!, tape, 'replay')],
                await verifiers(db, dev),
                'device-a',
              );
            } finally {
              await close(second);
            }
          },
          'no access',
          (r) => r.includes('stale nonce'),
          'a stale nonce',
        );

        await expect(
          'malformed evidence (an AIK that is no public key): no access with the reason',
          async () => {
            return attestDevice(db, dev, { tap: garbledAik });
          },
          'no access',
          (r) => r.startsWith('AIK:') && r.includes('does not parse'),
          'the unparsable AIK',
        );

        await expect(
          'more files than the verifier accepts (maxFiles 2 of 3): cut off, no access',
          async () => {
            return attestDevice(db, dev, { verifier: { maxFiles: 2 } });
          },
          'no access',
          (r) => /limit|more than|too many/i.test(r),
          'the file limit',
        );

        await expect(
          'the AIK is known but not trusted: no access naming the key id',
          async () => {
            await refdb(uri, 'devices', 'trust', aik, '--off');
            try {
              return await attestDevice(db, dev);
            } finally {
              await refdb(uri, 'devices', 'trust', aik);
            }
          },
          'no access',
          (r) => r.includes(aik) && r.includes('not trusted'),
          `AIK ${aik}`,
        );

        await expect(
          'what to measure comes from the database: a dir-meas policy enforced for the product finds the changed binary',
          async () => {
            writeFileSync(victim, 'ELF cat v2 (trojaned)');
            const imcs = await collectors(dev);
            try {
              // No measurement policy yet: the verifier configured without files measures nothing and allows.
              const before = await assessInProcess(
                db,
                imcs,
                await verifiers(db, dev, { policyFiles: true }),
                'device-a',
              );
              check(
                before.recommendation === ActionRecommendation.ALLOW,
                `without a policy: ${before.reasons.join('; ')}`,
              );
              await refdb(uri, 'groups', 'add', 'Gateways', '--product', PRODUCT);
              await refdb(
                uri,
                'policies',
                'add',
                '--name',
                'Measure the binaries',
                '--type',
                'dir-meas',
                '--dir',
                dev.bin,
              );
              await refdb(uri, 'enforcements', 'add', '--policy', 'Measure the binaries', '--group', 'Gateways');
              return await assessInProcess(db, imcs, await verifiers(db, dev, { policyFiles: true }), 'device-a');
            } finally {
              writeFileSync(victim, dev.files.cat!);
              await close(imcs);
            }
          },
          'no access',
          (r) => r.includes(victim) && r.includes('does not match the reference'),
          victim,
        );

        await expect(
          'the enforcement says rec_fail = isolate: the changed binary isolates the device; max_age then skips a passed policy',
          async () => {
            const policy = ['--policy', 'Measure the binaries', '--group', 'Gateways'];
            await refdb(uri, 'enforcements', 'add', ...policy, '--rec-fail', 'isolate', '--max-age', '3600');
            const policyId = (await db.policyByName('Measure the binaries'))?.id;
            const imcs = await collectors(dev);
            const imvs = () => verifiers(db, dev, { policyFiles: true });
            try {
              writeFileSync(victim, 'ELF cat v2 (trojaned)');
              const changed = await assessInProcess(db, imcs, await imvs(), 'device-c');
              writeFileSync(victim, dev.files.cat!);
              // Clean: the policy passes and its result is kept; within max_age the next attestation skips it.
              const clean = await assessInProcess(db, imcs, await imvs(), 'device-c');
              const passed = await db.listResults({ session: clean.session });
              check(
                clean.recommendation === ActionRecommendation.ALLOW &&
                  passed.some((r) => r.policy === policyId && r.rec === ActionRecommendation.ALLOW),
                `clean run: ${clean.reasons.join('; ')}; results ${JSON.stringify(passed)}`,
              );
              const again = await assessInProcess(db, imcs, await imvs(), 'device-c');
              const skipped = await db.listResults({ session: again.session });
              check(
                again.recommendation === ActionRecommendation.ALLOW && !skipped.some((r) => r.policy === policyId),
                `within max_age the policy was judged again: ${JSON.stringify(skipped)}`,
              );
              log(
                `${tag} rec_fail isolate: sessions ${changed.session}, ${clean.session} (passed), ${again.session} (skipped)`,
              );
              return changed;
            } finally {
              writeFileSync(victim, dev.files.cat!);
              await close(imcs);
              // Back to the policy's own settings for the scenarios that follow.
              await refdb(uri, 'enforcements', 'add', ...policy);
            }
          },
          'isolate',
          (r) => r.includes(victim) && r.includes('does not match the reference'),
          victim,
        );

        // A second device: its own swtpm and AIK, which the database has never seen.
        await expect(
          'an AIK not in the database: no access; the device is recorded untrusted for enrolment',
          async () => {
            const other = await provisionDevice({ binDir: 'usr/bin' });
            const otherAik = toHex(other.aik.keyId);
            const imcs = await collectors(other);
            try {
              const a = await assessInProcess(db, imcs, await verifiers(db, other), 'device-b');
              const d = await db.deviceByValue(otherAik);
              check(d && !d.trusted, `device ${otherAik} not recorded as untrusted`);
              check(
                a.reasons.some((r) => r.includes(otherAik)),
                `reasons do not name ${otherAik}`,
              );
              return a;
            } finally {
              await close(imcs);
              await other.cleanup();
            }
          },
          'no access',
          (r) => r.includes('is not trusted'),
          'the unknown AIK',
        );

        if (swima) {
          await expect(
            'a device with a blacklisted package (SWIMA): isolated, the package named',
            async () => {
              await refdb(uri, 'packages', 'blacklist', 'telnetd');
              try {
                return await attestDevice(db, dev, { collector: { dpkgStatus }, verifier: { swima: true } });
              } finally {
                await refdb(uri, 'packages', 'blacklist', 'telnetd', '--off');
              }
            },
            'isolate',
            (r) => r.includes('telnetd') && r.includes('blacklisted'),
            'telnetd',
          );
        } else {
          await scenario(`${tag} a device with a blacklisted package (SWIMA): isolated`, async () => {
            throw new Error('the swima collector/verifier modules are not built in');
          });
        }

        await scenario(`${tag} attestd refdb sessions show: the stored verdicts with their reasons`, async () => {
          const last = (await db.listSessions({ limit: 1 }))[0];
          check(last, 'no sessions');
          const text = await refdb(uri, 'sessions', 'show', String(last.id));
          check(text.includes('reason:'), `no reasons in:\n${text}`);
          const all = await db.listSessions({ limit: 1000 });
          return `${all.length} sessions stored; session ${last.id} shows ${text.split('\n').filter((l) => l.includes('reason:')).length} reason line(s)`;
        });
      } finally {
        await db.close();
      }
    }
    log(`device AIK ${aik}`);
  } finally {
    await dev.cleanup();
    await pg?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
