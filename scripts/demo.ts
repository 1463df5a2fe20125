/**
 * `npm run demo`: three devices A, B and C, each with its own firmware tree (a root file system: usr/bin, usr/lib,
 * etc), its own TPM (swtpm on UNIX sockets in the device's directory) and an IKE daemon in its own network namespace.
 * Every device has measured its firmware the way IMA does (an ima-ng list of logical paths, extended into PCR 10)
 * after a measured boot (a firmware event log extended into PCRs 0 and 7).
 *
 * The daemons attest each other inside IKE_AUTH: EAP-TTLS with certificates, PT-EAP carrying PB-TNC in mutual mode,
 * the `attest` collector (TPM quote over a D-H nonce, file measurements of <tree>/usr/bin and <tree>/etc, the IMA
 * and boot logs) and the `attest` verifier (reference values of the golden image and the trusted AIKs of A, B and C
 * in a reference database built with `attestd refdb`, PCRs 0, 7 and 10 required; the daemons store every verdict
 * there). A and B allow each other and bring up a CHILD_SA that carries a UDP stream over the
 * userspace ESP data plane (TUN). C has one binary replaced: when it initiates to A and to B, each daemon's own
 * verifier refuses it (AUTHENTICATION_FAILED) and names the file; the demo reads those verdicts from the daemons.
 *
 * Without root (no namespaces) the IKE part is skipped with a message; without swtpm the attestation is.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { toHex, utf8 } from '../src/common/bytes.ts';
import { measure } from '../src/measure/cli.ts';
import { EventType } from '../src/measure/eventlog.ts';
import { separator, type EventSpec } from '../src/measure/eventlog-builder.ts';
import { encodeImaBinary } from '../src/measure/ima.ts';
import { Tpm, createAik, checkQuote, pcrSelectBytes, KEY_SCHEME, TPM_ALG, type AikInfo } from '../src/tpm/index.ts';
import { SwtpmTransport } from '../src/tpm/transport/index.ts';
import { createCa, issueCert, writeSwanctlDir, type Issued } from '../src/daemon/pki/index.ts';
import { controlRequest, type VerdictInfo } from '../src/daemon/control.ts';
import type { SaInfo } from '../src/ike/engine.ts';
import { startSwtpm, type UnixSwtpm } from '../test/support/swtpm.ts';
import { measuredBoot } from '../test/support/attest-device.ts';
import { createTestbed, type Testbed, type TestbedHost } from '../test/support/netns.ts';
import type { Proc } from '../test/support/proc.ts';
import { IkeNotifyName, decodeIke, dissect, startCapture, type IkePacket } from '../test/support/capture.ts';
import { hasCommand, isRoot } from '../test/support/env.ts';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'attestd-demo-'));
const reportPath = join(root, 'out', 'demo-report.html');
const steps: { title: string; lines: string[] }[] = [];
let current: { title: string; lines: string[] } | undefined;

function step(title: string): void {
  current = { title, lines: [] };
  steps.push(current);
  console.log(`\n\x1b[1m== ${steps.length}. ${title}\x1b[0m`);
}
function say(line: string): void {
  current?.lines.push(line);
  console.log(`   ${line}`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

type Name = 'A' | 'B' | 'C';

interface Device {
  name: Name;
  /** The device's directory: its tree, logs, TPM sockets, IKE configuration and control socket. */
  dir: string;
  /** The firmware tree, laid out as a root file system. */
  tree: string;
  imaPath: string;
  bootPath: string;
  swtpm?: UnixSwtpm;
  aik?: AikInfo;
  aikKeyId?: string;
  measurements: number;
  host?: TestbedHost;
  daemon?: Proc;
}

/** One row of the summary: a daemon's verdict on a peer. */
interface Verdict {
  verifier: Name;
  device: Name;
  decision: VerdictInfo['decision'] | 'none';
  reasons: string[];
  source: string;
}

interface Handshake {
  title: string;
  initiator: Name;
  responder: Name;
  sa?: SaInfo;
  error?: string;
  packets: IkePacket[];
  problems: number;
}

/** Binaries the golden image takes when the host has them (then more, in name order, up to `bin`). */
const GOLDEN_BINARIES = [
  'sh',
  'dash',
  'ls',
  'cat',
  'cp',
  'mv',
  'ps',
  'ip',
  'ssh',
  'mount',
  'tar',
  'gzip',
  'grep',
  'sed',
];
const GOLDEN_FILES = { bin: 30, lib: 12 };
/** The binary replaced on C. */
const VICTIM = 'ssh';

/** The golden firmware image: real binaries and libraries and a few configuration files, as a root file system. */
function makeGoldenImage(dir: string): void {
  const usable = (src: string, f: string) => {
    try {
      const s = statSync(join(src, f));
      return s.isFile() && s.size < 2_000_000;
    } catch {
      return false;
    }
  };
  const pick = (src: string, n: number, first: readonly string[] = []) => {
    const names = readdirSync(src)
      .filter((f) => /^[a-z]/.test(f) && usable(src, f))
      .sort();
    const preferred = first.filter((f) => names.includes(f));
    return [...preferred, ...names.filter((f) => !preferred.includes(f))].slice(0, n);
  };
  const bin = join(dir, 'usr', 'bin');
  const lib = join(dir, 'usr', 'lib');
  const etc = join(dir, 'etc');
  for (const d of [bin, lib, etc]) mkdirSync(d, { recursive: true });
  for (const f of pick('/usr/bin', GOLDEN_FILES.bin, GOLDEN_BINARIES)) copyFileSync(join('/usr/bin', f), join(bin, f));
  for (const f of pick('/usr/lib/x86_64-linux-gnu', GOLDEN_FILES.lib))
    copyFileSync(join('/usr/lib/x86_64-linux-gnu', f), join(lib, f));
  writeFileSync(join(etc, 'os-release'), 'NAME="Attestd demo firmware"\nVERSION_ID="1.0"\n');
  writeFileSync(join(etc, 'fstab'), '/dev/root / ext4 ro 0 1\n');
  writeFileSync(join(etc, 'firmware-release'), 'build 2026.11 golden\n');
}

/** A tree's files as its device names them: absolute logical paths (/usr/bin/ls) → sha256. */
async function logicalFiles(tree: string): Promise<Map<string, string>> {
  const { manifest } = await measure([tree], { algorithms: ['sha256'] });
  const out = new Map<string, string>();
  for (const [p, d] of manifest.files) if (d.sha256) out.set(`/${relative(tree, p)}`, d.sha256);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const PRODUCT = 'Attestd demo firmware 1.0';

/** `attestd refdb --db URI …` as an operator types it; its output is returned, a failure throws. */
function refdb(db: string, ...args: string[]): string {
  const r = spawnSync(join(root, 'bin', 'attestd'), ['refdb', '--db', db, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`attestd refdb ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * Publishes the golden image's reference values in the reference database (SQLite, shared by the verifiers of A and
 * B, which also store their verdicts there): the product and the image's file hashes under their logical paths,
 * with the `attestd refdb` commands an operator would use. Returns the database URI and the number of files.
 */
async function publishReferences(
  golden: string,
  dir: string,
): Promise<{ db: string; files: number; commands: string[] }> {
  const db = `sqlite:${join(dir, 'refdb.sqlite')}`;
  const commands = [
    `attestd refdb products add '${PRODUCT}'`,
    `attestd refdb hashes import --product '${PRODUCT}' --measure <golden>/usr <golden>/etc --root <golden>`,
  ];
  refdb(db, 'products', 'add', PRODUCT);
  refdb(
    db,
    'hashes',
    'import',
    '--product',
    PRODUCT,
    '--measure',
    join(golden, 'usr'),
    join(golden, 'etc'),
    '--root',
    golden,
  );
  return { db, files: (await logicalFiles(golden)).size, commands };
}

function copyTree(from: string, to: string): void {
  const r = spawnSync('cp', ['-a', from, to]);
  if (r.status !== 0) throw new Error(`cp -a ${from} ${to} failed: ${r.stderr?.toString() ?? ''}`);
}

/** A measured boot: CRTM and Secure Boot configuration into PCRs 0 and 7, closed by separators. */
function bootEvents(): EventSpec[] {
  return [
    { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: utf8('demo firmware 1.0') },
    { pcr: 7, type: EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data: utf8('SecureBoot=1') },
    separator(0),
    separator(7),
  ];
}

/**
 * The device's own boot: its TPM, an AIK (persisted at the collector's default handle), the firmware event log
 * extended into PCRs 0/7, and the IMA list of its tree's files as they are (logical paths, ima-ng) after the
 * boot_aggregate, extended into PCR 10; both logs written as files for the collector.
 */
async function bootDevice(d: Device): Promise<void> {
  d.swtpm = await startSwtpm({ unix: d.dir });
  const transport = new SwtpmTransport({ path: d.swtpm.path, ctrlPath: d.swtpm.ctrlPath });
  try {
    const tpm = new Tpm(transport);
    d.aik = await createAik(tpm, { type: 'ecc', parent: 'srk', parentType: 'ecc' });
    d.aikKeyId = toHex(d.aik.keyId);
    const files = await logicalFiles(d.tree);
    const { bootBytes, ima } = await measuredBoot(
      tpm,
      [...files].map(([path, hex]) => ({ path, digest: Buffer.from(hex, 'hex') })),
      bootEvents(),
    );
    writeFileSync(d.bootPath, bootBytes);
    writeFileSync(d.imaPath, encodeImaBinary(ima));
    d.measurements = ima.length;
  } finally {
    await transport.close(); // the daemon's collector opens its own connections
  }
}

/** Out of band: a quote made for a nonce the verifier did not ask for (a replayed quote) does not verify. */
async function staleQuote(d: Device): Promise<string> {
  const transport = new SwtpmTransport({ path: d.swtpm!.path, ctrlPath: d.swtpm!.ctrlPath, keepAlive: false });
  try {
    const tpm = new Tpm(transport);
    const sel = [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes([10]) }];
    const q = await tpm.quote(d.aik!.handle, randomBytes(20), sel, KEY_SCHEME);
    const pcr10 = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [10] }])).banks.get(TPM_ALG.SHA256)!.get(10)!;
    const v = checkQuote({
      quoted: q.quoted,
      signature: q.signature,
      aik: d.aik!.spki,
      nonce: randomBytes(20),
      pcrs: [{ hash: TPM_ALG.SHA256, values: new Map([[10, pcr10]]) }],
    });
    return v.ok ? 'ALLOWED (unexpected!)' : `refused (${v.failures[0]?.message ?? '?'})`;
  } finally {
    await transport.close();
  }
}

interface Peer {
  conn: string;
  name: Name;
  addr: string;
  inner: string;
}

/** swanctl.conf of one device: EAP-only EAP-TTLS with certificates per peer, and the attestd { } section. */
function daemonConf(d: Device, peers: Peer[], attestd: string[] | undefined): string {
  const auth = attestd ? 'eap-ttls' : 'pubkey';
  const conns = peers.flatMap((p) => [
    `  ${p.conn} {`,
    `    local_addrs = ${d.host!.addr}`,
    `    remote_addrs = ${p.addr}`,
    '    proposals = aes256gcm16-prfsha256-x25519',
    '    encap = yes',
    '    local {',
    `      auth = ${auth}`,
    `      certs = ${d.name}.pem`,
    `      id = ${d.name}.demo`,
    '    }',
    '    remote {',
    `      auth = ${auth}`,
    `      id = ${p.name}.demo`,
    '    }',
    '    children {',
    '      app {',
    `        local_ts = ${d.host!.inner}/32`,
    `        remote_ts = ${p.inner}/32`,
    '        esp_proposals = aes256gcm16',
    '      }',
    '    }',
    '  }',
  ]);
  const att = attestd
    ? ['attestd {', '  eap {', `    cert = ${d.name}.pem`, '    tls_max = 1.3', '  }', ...attestd, '}']
    : [];
  return ['connections {', ...conns, '}', ...att, ''].join('\n');
}

/** The attestd { } lines of a device: its collector over its own TPM and tree, its verifier over the database. */
function attestSection(d: Device, db: string): string[] {
  return [
    `  database = ${db}`,
    '  tnc {',
    '    imcs = attest',
    '    imvs = attest',
    '  }',
    '  imc-attest {',
    `    tcti = ${d.swtpm!.tcti}`,
    `    root = ${d.tree}`,
    `    imaLog = ${d.imaPath}`,
    `    bootLog = ${d.bootPath}`,
    '  }',
    '  imv-attest {',
    `    product = ${PRODUCT}`,
    '    files = /usr/bin/, /etc/',
    '    requiredPcrs = 0, 7, 10',
    '  }',
  ];
}

const sockOf = (d: Device) => join(d.dir, 'control.sock');

/**
 * A daemon's verdict on the peer of one of its connections, newest first, from `list-verdicts` on its control socket
 * (which records peers refused inside EAP too).
 */
async function verdictOn(verifier: Device, device: Device, conn: string): Promise<Verdict> {
  const none: Verdict = { verifier: verifier.name, device: device.name, decision: 'none', reasons: [], source: '-' };
  // The verdict is recorded when the responder decides; give it a moment.
  for (let i = 0; i < 30; i++, await sleep(100)) {
    const listed = await controlRequest(sockOf(verifier), { cmd: 'list-verdicts' }, 5000).catch(() => []);
    const v = (listed as VerdictInfo[]).find((x) => x.connection === conn);
    if (v) return { ...none, decision: v.decision, reasons: v.reasons, source: 'list-verdicts' };
  }
  return none;
}

/** The files a verdict's reasons name ("file /usr/bin/x: …", "IMA /usr/bin/x: …"). */
function namedFiles(reasons: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of reasons) {
    const m = /^(?:file|IMA) (\/[^:]+):/.exec(r);
    if (m) out.add(m[1]!);
  }
  return [...out];
}

async function handshake(title: string, from: Device, to: Device, conn: string): Promise<Handshake> {
  const h: Handshake = { title, initiator: from.name, responder: to.name, packets: [], problems: 0 };
  const capture = await startCapture(from.host!.ns, from.host!.iface);
  try {
    h.sa = (await controlRequest(sockOf(from), { cmd: 'initiate', ike: conn }, 120_000)) as SaInfo;
  } catch (e) {
    // "IKE 24": the error notify type; name it (AUTHENTICATION_FAILED).
    h.error = message(e).replace(/\bIKE (\d+)\b/, (all, n: string) => {
      const name = IkeNotifyName.get(Number(n));
      return name ? `${name} (${n})` : all;
    });
  }
  const pcap = await capture.stop({ settleMs: 500 });
  try {
    h.packets = (await decodeIke(pcap)).ike;
    h.problems = (await dissect(pcap)).problems.length;
  } catch (e) {
    say(`(capture of ${title} not decoded: ${message(e)})`);
  }
  capture.remove();
  return h;
}

async function main(): Promise<number> {
  console.log('Attestd demo: mutually attested IPsec between devices with TPM-backed measurements');
  const devices: Device[] = (['A', 'B', 'C'] as const).map((name) => {
    const dir = join(work, `device-${name}`);
    return {
      name,
      dir,
      tree: join(dir, 'firmware'),
      imaPath: join(dir, 'binary_runtime_measurements'),
      bootPath: join(dir, 'binary_bios_measurements'),
      measurements: 0,
    };
  });
  const [A, B, C] = devices as [Device, Device, Device];
  const verdicts: Verdict[] = [];
  const handshakes: Handshake[] = [];
  const sas: SaInfo[][] = [];
  let stream: { packets: number; lost_packets: number } | undefined;
  let testbed: Testbed | undefined;
  let victim = '';
  try {
    step('Golden image and reference values');
    const golden = join(work, 'golden');
    makeGoldenImage(golden);
    const refs = await publishReferences(golden, work);
    say(`golden firmware image: ${refs.files} files under /usr/bin, /usr/lib and /etc`);
    say(`reference database ${refs.db.replace(work, '<work>')}: ${refs.commands.join('; ')}`);
    for (const d of devices) {
      mkdirSync(d.dir, { recursive: true });
      copyTree(golden, d.tree);
    }
    const bins = readdirSync(join(C.tree, 'usr', 'bin')).sort();
    victim = `/usr/bin/${bins.includes(VICTIM) ? VICTIM : bins[0]!}`;
    writeFileSync(join(C.tree, victim), `#!/bin/sh\n# implant\nexec /bin/sh -i\n`);
    say(`device C: ${victim} replaced after the reference measurement`);

    step('Boot: one swtpm per device, AIK enrolled, measured boot (PCRs 0, 7) and IMA (PCR 10)');
    let haveTpm = hasCommand('swtpm') && hasCommand('swtpm_setup');
    if (!haveTpm) say('swtpm is not installed (run scripts/setup.sh as root): no TPM evidence, no attestation');
    else {
      try {
        for (const d of devices) {
          await bootDevice(d);
          say(
            `device ${d.name}: swtpm on ${relative(work, d.swtpm!.path)}, AIK (ECC P-256) key id ` +
              `${d.aikKeyId!.slice(0, 16)}…, ${d.measurements} IMA measurements (ima-ng, logical paths)`,
          );
        }
        for (const d of devices) refdb(refs.db, 'devices', 'add', d.aikKeyId!, '--product', PRODUCT, '--trusted');
        say(
          `AIKs enrolled as trusted devices (attestd refdb devices add KEYID --product … --trusted): A, B and C — ` +
            'C is refused for its firmware, not its key',
        );
        say(`out of band, a replayed quote of A checked against a fresh nonce: ${await staleQuote(A)}`);
      } catch (e) {
        say(
          `the TPMs could not be set up (${message(e).replace(/\s+/g, ' ').trim()}): no TPM evidence, no attestation`,
        );
        haveTpm = false;
        for (const d of devices) await d.swtpm?.stop().catch(() => {});
        for (const d of devices) delete d.swtpm;
      }
    }

    step('IPsec with attestation inside IKE_AUTH: daemons in network namespaces');
    if (!isRoot()) say('not root: network namespaces are not available, skipping the IKE part');
    else {
      testbed = await createTestbed({ hosts: 3 });
      const hosts = testbed.hosts;
      devices.forEach((d, i) => (d.host = hosts[i]!));
      const ca = await createCa({ subject: 'C=CH, O=Attestd demo, CN=Demo CA', keyType: 'ecdsa-p256' });
      const peer = (conn: string, p: Device): Peer => ({
        conn,
        name: p.name,
        addr: p.host!.addr,
        inner: p.host!.inner,
      });
      const peers: Record<Name, Peer[]> = {
        A: [peer('tunnel', B), peer('from-c', C)],
        B: [peer('tunnel', A), peer('from-c', C)],
        C: [peer('to-a', A), peer('to-b', B)],
      };
      for (const d of devices) {
        const dir = join(d.dir, 'swanctl');
        const cert: Issued = await issueCert({
          ca,
          subject: `C=CH, O=Attestd demo, CN=${d.name}.demo`,
          san: [`${d.name}.demo`],
          keyType: 'ecdsa-p256',
          serverAuth: true,
          clientAuth: true,
        });
        await writeSwanctlDir(dir, { ca, host: cert, name: d.name });
        const attestd = haveTpm ? attestSection(d, refs.db) : undefined;
        writeFileSync(join(dir, 'swanctl.conf'), daemonConf(d, peers[d.name], attestd));
        d.daemon = testbed.spawn(
          d.host!,
          join(root, 'bin', 'attestd'),
          [
            'daemon',
            '--config',
            join(dir, 'swanctl.conf'),
            '--control',
            sockOf(d),
            '--log-level',
            'info',
            '--log-format',
            'json',
            '--data-plane',
            d.name === 'C' ? 'none' : 'tun',
          ],
          {},
        );
      }
      for (let i = 0; i < 100 && !devices.every((d) => existsSock(sockOf(d))); i++) await sleep(100);
      const down = devices.filter((d) => !existsSock(sockOf(d)));
      if (down.length)
        throw new Error(
          `daemon(s) ${down.map((d) => d.name).join(', ')} did not start: ${down.map((d) => d.daemon?.stderr().slice(-2000)).join('\n')}`,
        );
      say(
        haveTpm
          ? 'A, B, C: EAP-TTLS with certificates, PT-EAP + PB-TNC (mutual), imc-attest and imv-attest on every daemon'
          : 'no TPM: A and B authenticate with certificates only (no attestation)',
      );

      const ab = await handshake('A ↔ B', A, B, 'tunnel');
      handshakes.push(ab);
      if (ab.sa) {
        const c0 = ab.sa.children[0];
        say(
          `A → B: IKE_SA ${ab.sa.state}, ${ab.sa.suite}; CHILD_SA ${c0?.localTs.join(',')} === ${c0?.remoteTs.join(',')}` +
            ` (${ab.packets.length} IKE messages, tshark finds ${ab.problems} problem(s))`,
        );
      } else say(`A → B: no tunnel: ${ab.error}`);
      if (haveTpm) {
        for (const [v, p] of [
          [A, B],
          [B, A],
        ] as const) {
          const x = await verdictOn(v, p, 'tunnel');
          verdicts.push(x);
          say(
            `${v.name}'s verifier on ${p.name}: ${x.decision.toUpperCase()}${x.reasons.length ? ` (${x.reasons.join('; ')})` : ''}`,
          );
        }
      }
      sas.push((await controlRequest(sockOf(A), { cmd: 'list-sas' })) as SaInfo[]);
      sas.push((await controlRequest(sockOf(B), { cmd: 'list-sas' })) as SaInfo[]);

      if (haveTpm) {
        for (const [to, conn] of [
          [A, 'to-a'],
          [B, 'to-b'],
        ] as const) {
          const h = await handshake(`C → ${to.name}`, C, to, conn);
          handshakes.push(h);
          say(
            h.sa
              ? `C → ${to.name}: IKE_SA ${h.sa.state} (UNEXPECTED: C was let in)`
              : `C → ${to.name}: refused (${h.error}), ${h.packets.length} IKE messages`,
          );
          const x = await verdictOn(to, C, 'from-c');
          verdicts.push(x);
          const files = namedFiles(x.reasons);
          say(
            `${to.name}'s verifier on C (from its ${x.source}): ${x.decision.toUpperCase()}; ` +
              `file(s) named: ${files.join(', ') || 'none'}`,
          );
          for (const r of x.reasons) say(`  ${to.name}: ${r}`);
        }
        // The audit trail: every verdict of A's and B's verifiers, stored by the daemons in the reference database.
        const sessions = JSON.parse(refdb(refs.db, '--json', 'sessions', 'list')) as {
          id: number;
          identity: string;
          recommendation: string;
        }[];
        say(
          `reference database: ${sessions.length} assessment sessions stored by the daemons (attestd refdb sessions list): ` +
            sessions.map((x) => `${x.identity} ${x.recommendation}`).join(', '),
        );
        const refused = sessions.find((x) => x.recommendation !== 'allow');
        if (refused) {
          const shown = JSON.parse(refdb(refs.db, '--json', 'sessions', 'show', String(refused.id))) as {
            verdicts: { imv: string; reasons: string[] }[];
          };
          say(
            `attestd refdb sessions show ${refused.id}: ${shown.verdicts.flatMap((v) => v.reasons)[0] ?? 'no reason'}`,
          );
        }
      } else say('no TPM: C cannot be attested, so its refusal is not demonstrated');

      // An application stream across the tunnel: 2 Mbit/s of UDP for 3 s, like a video call, with loss and jitter.
      if (ab.sa) {
        const [ha, hb] = [A.host!, B.host!];
        const server = testbed.spawn(hb, 'iperf3', ['-s', '-1', '-B', hb.inner, '-p', '5201'], {});
        await sleep(500);
        const r = await testbed.exec(
          ha,
          'iperf3',
          ['-u', '-b', '2M', '-l', '1200', '-t', '3', '-J', '-c', hb.inner, '-B', ha.inner, '-p', '5201'],
          { allowFail: true, timeoutMs: 20_000 },
        );
        await server.stop().catch(() => {});
        try {
          const sum = (
            JSON.parse(r.stdout) as {
              end: { sum: { packets: number; lost_packets: number; jitter_ms: number; bits_per_second: number } };
            }
          ).end.sum;
          stream = sum;
          say(
            `application stream A → B through the ESP tunnel: ${sum.packets} UDP packets at ` +
              `${(sum.bits_per_second / 1e6).toFixed(1)} Mbit/s, ${sum.lost_packets} lost, jitter ${sum.jitter_ms.toFixed(2)} ms`,
          );
        } catch {
          say(`application stream A → B: iperf3 failed (${(r.stderr || r.stdout).trim().slice(0, 200)})`);
        }
        const counters = (
          (await controlRequest(sockOf(B), { cmd: 'list-sas' })) as (SaInfo & {
            children: { counters?: { packetsIn?: number } }[];
          })[]
        )[0]?.children[0]?.counters;
        if (counters) say(`B's ESP counters for the CHILD_SA: ${JSON.stringify(counters)}`);
      }
    }

    step('Summary');
    for (const v of verdicts) {
      const files = namedFiles(v.reasons);
      say(
        `${v.verifier} → ${v.device}: ${v.decision}` +
          (v.decision === 'allow' ? '' : files.length ? ` — replaced/unknown file(s): ${files.join(', ')}` : '') +
          (v.decision === 'allow' || files.length ? '' : ` — ${v.reasons.join('; ') || 'no reason recorded'}`),
      );
    }
    const ab = handshakes[0];
    if (ab)
      say(`tunnel A ↔ B: ${ab.sa ? `up (${sas[0]?.length ?? 0} IKE_SA on A, ${sas[1]?.length ?? 0} on B)` : 'DOWN'}`);
    if (stream)
      say(`application stream: ${stream.packets - stream.lost_packets}/${stream.packets} UDP packets delivered`);
    const full = haveTpm && isRoot();
    const cVerdicts = verdicts.filter((v) => v.device === 'C');
    const cRefused =
      cVerdicts.length === 2 &&
      cVerdicts.every((v) => v.decision === 'no access' && namedFiles(v.reasons).includes(victim)) &&
      handshakes.filter((h) => h.initiator === 'C').every((h) => !h.sa);
    const abUp = !!ab?.sa && verdicts.filter((v) => v.device !== 'C').every((v) => v.decision === 'allow');
    if (full)
      say(
        `result: C refused by A and B naming ${victim}: ${cRefused ? 'yes' : 'NO'}; A ↔ B up: ${abUp ? 'yes' : 'NO'}`,
      );
    else say('result: partial run (see the messages above for what was skipped)');
    try {
      writeReport(verdicts, sas, handshakes, devices);
      say(`HTML report: ${reportPath}`);
    } catch (e) {
      say(`HTML report not written: ${message(e)}`);
    }
    return !full || (cRefused && abUp) ? 0 : 1;
  } finally {
    // The test-bed helpers unref their processes; keep the loop alive while the daemons delete their SAs.
    const keepAlive = setInterval(() => {}, 1000);
    await testbed?.destroy();
    // The daemons' own logs, for a closer look at the handshakes (out/demo-daemon-<device>.log).
    for (const d of devices) {
      if (!d.daemon) continue;
      try {
        mkdirSync(join(root, 'out'), { recursive: true });
        writeFileSync(join(root, 'out', `demo-daemon-${d.name}.log`), d.daemon.stderr() + d.daemon.stdout());
      } catch {
        // a read-only checkout: the report says what matters
      }
    }
    for (const d of devices) await d.swtpm?.stop().catch(() => {});
    clearInterval(keepAlive);
    rmSync(work, { recursive: true, force: true });
  }
}

function existsSock(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** One row per IKE message: who sent what, in the clear and (by first payload type) inside SK. */
function sequenceTable(seq: IkePacket[], names: ReadonlyMap<string, string>): string {
  const who = (a: string) => names.get(a) ?? a;
  const rows = seq.map((p) => {
    const dir = `${who(p.src)}:${p.srcPort} → ${who(p.dst)}:${p.dstPort}`;
    const clear = p.payloadNames.filter((n) => n !== 'SK' && n !== 'SKF');
    const notes = p.notifies.map((n) => `N(${n.name})`);
    const enc =
      p.payloads.includes(46) || p.payloads.includes(53)
        ? `SK{…}${p.fragment ? ` fragment ${p.fragment.number}/${p.fragment.total}` : ''}`
        : '';
    return `<tr><td>${p.time.toFixed(3)}</td><td>${esc(dir)}</td><td>${esc(p.exchangeName)}</td><td>${p.response ? 'response' : 'request'}</td><td>${p.messageId}</td><td>${esc([...clear, ...notes, enc].filter(Boolean).join(' '))}</td></tr>`;
  });
  return `<table><tr><th>t [s]</th><th>from → to</th><th>exchange</th><th></th><th>mid</th><th>payloads</th></tr>${rows.join('')}</table>`;
}

function writeReport(verdicts: Verdict[], sas: SaInfo[][], handshakes: Handshake[], devices: Device[]): void {
  mkdirSync(join(root, 'out'), { recursive: true });
  const names = new Map(devices.filter((d) => d.host).map((d) => [d.host!.addr, d.name] as [string, string]));
  const verdictRows = verdicts
    .map((v) => {
      const files = namedFiles(v.reasons);
      const ok = v.decision === 'allow';
      return `<tr><td>${v.verifier}</td><td>${v.device}</td><td class="${ok ? 'ok' : 'no'}">${esc(v.decision)}</td><td>${files.map((f) => `<code>${esc(f)}</code>`).join('<br>')}</td><td>${v.reasons.map(esc).join('<br>')}</td><td>${esc(v.source)}</td></tr>`;
    })
    .join('');
  const sequences = handshakes
    .map((h) => {
      const outcome = h.sa ? `IKE_SA ${h.sa.state}` : `refused: ${h.error ?? '?'}`;
      return `<h3>${esc(h.title)} — ${esc(outcome)}</h3>${h.packets.length ? sequenceTable(h.packets, names) : '<p>(no packets captured)</p>'}`;
    })
    .join('\n');
  const html = `<!doctype html><meta charset="utf-8"><title>Attestd demo report</title>
<style>body{font:14px system-ui;margin:2em;max-width:80em}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
table{border-collapse:collapse}.ok{color:#070}.no{color:#a00}pre{background:#f6f6f6;padding:.6em}</style>
<h1>Attestd demo</h1><p>Generated ${new Date().toISOString()}</p>
${steps.map((s, i) => `<h2>${i + 1}. ${esc(s.title)}</h2><ul>${s.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`).join('\n')}
<h2>Verdicts of the daemons' verifiers</h2><table><tr><th>verifier</th><th>device</th><th>verdict</th><th>files named</th><th>reasons</th><th>read from</th></tr>
${verdictRows || '<tr><td colspan="6">(no attestation ran)</td></tr>'}</table>
<h2>Message sequences</h2>${sequences || '<p>(not captured: no network namespaces)</p>'}
<h2>Security associations</h2><pre>${esc(JSON.stringify(sas, null, 2))}</pre>`;
  writeFileSync(reportPath, html);
}

process.exitCode = await main();
