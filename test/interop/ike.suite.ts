/**
 * `npm run interop -- ike`: our IKEv2 core against strongSwan charon 5.9.8 (kernel-libipsec, `encap = yes`) between
 * two network namespaces. One test bed, one charon and one instance of our side (test/interop/lib/ike-runner.ts,
 * data plane `none`) serve every scenario; each scenario reloads both configurations (charon over VICI, ours by
 * resetting its engine), runs in both directions where that makes sense, and is captured on the link: the capture
 * must dissect in tshark without malformed packets or warning/error expert infos.
 *
 *   [left]  ours   10.99.0.1 ──veth── 10.99.0.2  charon  [right]
 *
 * Scenarios: PSK; ECDSA P-256, RSA-3072 (RFC 7427) and Ed25519 certificates; three proposals; CHILD_SA and IKE_SA
 * rekeying and DELETE from each side; liveness checks from each side; IKE fragmentation with a chain of RSA-4096
 * intermediates; INVALID_KE_PAYLOAD retries; COOKIEs demanded by us and by charon; bad input against our responder
 * (a flood of IKE_SA_INIT from many source ports with a legitimate peer getting through, retransmissions answered
 * from the cache over real UDP, malformed requests, half-open SAs expiring).
 */
import { createTestbed, type Testbed, type TestbedHost } from '../support/netns.ts';
import { startCharon, type Charon, type IkeSa } from '../support/charon.ts';
import {
  decodeIke,
  dissect,
  formatProblems,
  startCapture,
  type IkePacket,
  type PacketSummary,
} from '../support/capture.ts';
import { sendUdp } from '../support/netns.ts';
import { sleep, waitFor } from '../support/proc.ts';
import { certChain, createCa, issueCert, type Issued, type KeyType } from '../../src/daemon/pki/index.ts';
import { ikeSwanctlConf, startOurs, type CredFiles, type IkeConfOptions, type Ours } from './lib/ike-peer.ts';
import { classifyInitResponse, floodFromPorts, initRequest, malformedRequests, randomSpi } from './lib/ike-craft.ts';
import type { SaInfo } from '../../src/ike/engine.ts';

type Scenario = (name: string, fn: () => Promise<string | void>) => Promise<boolean>;

const NOTIFY_COOKIE = 16390;
const NOTIFY_INVALID_KE = 17;

function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

interface Bed {
  tb: Testbed;
  left: TestbedHost;
  right: TestbedHost;
  charon: Charon;
  ours: Ours;
}

interface CertSet {
  /** Files for our side (left) and charon (right). */
  ours: CredFiles;
  charon: CredFiles;
}

async function certSet(tag: string, keyType: KeyType, caType: KeyType = keyType): Promise<CertSet> {
  const ca = await createCa({ subject: `C=CH, O=attestd interop, CN=${tag} CA`, keyType: caType });
  const issue = (n: string) => issueCert({ ca, subject: `C=CH, O=attestd interop, CN=${n}`, san: [n], keyType });
  const [l, r] = await Promise.all([issue('left'), issue('right')]);
  return {
    ours: {
      x509ca: { [`${tag}-ca.pem`]: ca.certPem },
      x509: { [`left-${tag}.pem`]: l.certPem },
      private: { [`left-${tag}.pem`]: l.keyPem },
    },
    charon: {
      x509ca: { [`${tag}-ca.pem`]: ca.certPem },
      x509: { [`right-${tag}.pem`]: r.certPem },
      private: { [`right-${tag}.pem`]: r.keyPem },
    },
  };
}

/** A chain root → 2 RSA-4096 intermediates → RSA-3072 end entities: CERT payloads far above 1280 bytes. */
async function chainSet(): Promise<CertSet> {
  const base = await certChain(2, {
    leafSubject: 'C=CH, O=attestd interop, CN=left',
    san: ['left'],
    leafKeyType: 'rsa-3072',
  });
  const issuer = base.intermediates[base.intermediates.length - 1]!;
  const right = await issueCert({
    ca: issuer,
    subject: 'C=CH, O=attestd interop, CN=right',
    san: ['right'],
    keyType: 'rsa-3072',
  });
  const ims = (side: string) =>
    Object.fromEntries(base.intermediates.map((c: Issued, i: number) => [`${side}-chain-im${i + 1}.pem`, c.certPem]));
  return {
    ours: {
      x509ca: { 'chain-ca.pem': base.root.certPem },
      x509: { 'left-chain.pem': base.leaf.certPem, ...ims('left') },
      private: { 'left-chain.pem': base.leaf.keyPem },
    },
    charon: {
      x509ca: { 'chain-ca.pem': base.root.certPem },
      x509: { 'right-chain.pem': right.certPem, ...ims('right') },
      private: { 'right-chain.pem': right.keyPem },
    },
  };
}

function merge(...sets: CredFiles[]): CredFiles {
  const out: CredFiles = {};
  for (const s of sets)
    for (const [d, files] of Object.entries(s) as [keyof CredFiles, Record<string, string>][])
      out[d] = { ...out[d], ...files };
  return out;
}

type Side = Omit<IkeConfOptions, 'me' | 'peer'>;

/** Loads both configurations: charon over VICI (old SAs force-terminated), ours by a fresh engine. */
async function configure(
  bed: Bed,
  both: Side,
  over: { ours?: Side; charon?: Side; engine?: Parameters<Ours['reset']>[1] } = {},
): Promise<void> {
  await bed.charon.terminate('c', { force: true, allowFail: true, timeoutMs: 3000 });
  await bed.charon.reload(ikeSwanctlConf({ ...both, ...over.charon, me: bed.right, peer: bed.left }));
  await bed.ours.reset(ikeSwanctlConf({ ...both, ...over.ours, me: bed.left, peer: bed.right }), {
    cookieThreshold: 1000,
    blockThreshold: 1000,
    ...over.engine,
  });
}

/** Runs `fn` with a capture of the link; the capture must dissect cleanly; `inspect` sees the IKE datagrams. */
async function captured(
  bed: Bed,
  fn: () => Promise<string | void>,
  inspect?: (ike: IkePacket[]) => string | void,
  opts: { ignore?: (p: PacketSummary) => boolean } = {},
): Promise<string> {
  const cap = await startCapture(bed.left.ns, 'eth0');
  let detail: string | void;
  try {
    detail = await fn();
  } finally {
    await cap.stop({ settleMs: 300 });
  }
  try {
    const d = await dissect(cap.file);
    // Datagrams a scenario malformed on purpose are not ours to judge; everything the two IKE daemons sent is.
    const injected = new Set(d.packets.filter((p) => opts.ignore?.(p)).map((p) => p.frame));
    const problems = d.problems.filter((p) => !injected.has(p.frame));
    check(problems.length === 0, `tshark: ${formatProblems(problems)}`);
    const decoded = await decodeIke(cap.file);
    const errors = decoded.errors.filter((e) => !injected.has(Number(/^frame (\d+)/.exec(e)?.[1])));
    const ike = decoded.ike.filter((p) => !injected.has(p.frame));
    check(errors.length === 0, `decodeIke: ${errors.join('; ')}`);
    check(ike.length > 0, 'no IKE datagram captured');
    const more = inspect?.(ike);
    const short: Record<string, string> = {
      IKE_SA_INIT: 'INIT',
      IKE_AUTH: 'AUTH',
      CREATE_CHILD_SA: 'CCSA',
      INFORMATIONAL: 'INFO',
    };
    // Who sent what: "ours>" for our datagrams, "<charon" for charon's; "(r)" marks responses.
    const flow =
      ike.length <= 16
        ? ike
            .map((p) => {
              const x = `${short[p.exchangeName] ?? p.exchangeName}${p.response ? '(r)' : ''}${p.fragment ? `#${p.fragment.number}` : ''}`;
              return p.src === bed.left.addr ? `ours>${x}` : `<${x}`;
            })
            .join(' ')
        : '';
    return [detail, more, `${ike.length} IKE datagrams, tshark clean`, flow].filter(Boolean).join('; ');
  } finally {
    cap.remove();
  }
}

async function withLogs<T>(bed: Bed, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const err = new Error(
      `${msg}\n--- ours ---\n${await bed.ours.describe()}\n--- charon ---\n${bed.charon.describe(25)}`,
    );
    throw err;
  }
}

/** Both sides agree on one IKE_SA with one installed CHILD_SA. */
async function assertUp(bed: Bed, opts: { child?: boolean } = {}): Promise<{ ours: SaInfo; charon: IkeSa }> {
  const c = await bed.charon.waitForSa('c', opts.child === false ? {} : { child: 'ch' });
  const o = await bed.ours.waitForSa(
    'c',
    (s) => opts.child === false || s.children.some((x) => x.state === 'INSTALLED'),
  );
  check(
    o.spiI === c.initiatorSpi.padStart(16, '0') && o.spiR === c.responderSpi.padStart(16, '0'),
    `SPIs differ: ours ${o.spiI}/${o.spiR}, charon ${c.initiatorSpi}/${c.responderSpi}`,
  );
  if (opts.child !== false) {
    const oc = o.children[0];
    const cc = c.children.find((x) => x.state === 'INSTALLED');
    check(oc && cc, 'CHILD_SA missing');
    check(
      oc.spiIn === cc.spiOut.padStart(8, '0') && oc.spiOut === cc.spiIn.padStart(8, '0'),
      `CHILD_SA SPIs differ: ours in ${oc.spiIn} out ${oc.spiOut}, charon in ${cc.spiIn} out ${cc.spiOut}`,
    );
  }
  return { ours: o, charon: c };
}

async function up(bed: Bed, dir: 'ours' | 'charon'): Promise<{ ours: SaInfo; charon: IkeSa }> {
  if (dir === 'ours') await bed.ours.initiate('c', 'ch');
  else await bed.charon.initiate('ch', 'c');
  return assertUp(bed);
}

const DIRS = [
  ['we initiate', 'ours'],
  ['charon initiates', 'charon'],
] as const;

/** How charon verified our AUTH since log offset `mark` (e.g. `left: ECDSA_WITH_SHA256_DER`). */
function authLine(charon: Charon, mark = 0): string {
  const text = charon.log().slice(mark);
  const m = [...text.matchAll(/authentication of '(left)' with ([A-Za-z0-9_ -]+?) successful/g)].map(
    (x) => `${x[1]}: ${x[2]}`,
  );
  return m.join(', ');
}

export async function run({ scenario, log }: { scenario: Scenario; log: (s: string) => void }): Promise<void> {
  const t0 = performance.now();
  const [ecdsa, rsa, ed, chain] = await Promise.all([
    certSet('ecdsa', 'ecdsa-p256'),
    certSet('rsa', 'rsa-3072'),
    certSet('ed', 'ed25519'),
    chainSet(),
  ]);
  log(`certificates ready in ${Math.round(performance.now() - t0)} ms`);
  const tb = await createTestbed({ hosts: 2 });
  try {
    const [left, right] = tb.hosts as [TestbedHost, TestbedHost];
    const psk: Side = {};
    const charonCerts = merge(ecdsa.charon, rsa.charon, ed.charon, chain.charon);
    const startMainCharon = (settings = {}) =>
      startCharon(right, {
        swanctlConf: ikeSwanctlConf({ me: right, peer: left }),
        certs: charonCerts,
        testbed: tb,
        strongswanConf: { ...settings },
        logLevels: { default: 1, ike: 2, cfg: 1, net: 1, enc: 0 },
      });
    const charon = await startMainCharon();
    const ours = await startOurs(left, {
      conf: ikeSwanctlConf({ me: left, peer: right }),
      certs: merge(ecdsa.ours, rsa.ours, ed.ours, chain.ours),
      testbed: tb,
    });
    const bed: Bed = { tb, left, right, charon, ours };
    const sc = (
      name: string,
      fn: () => Promise<string | void>,
      inspect?: (ike: IkePacket[]) => string | void,
      opts: { ignore?: (p: PacketSummary) => boolean } = {},
    ) => scenario(name, () => withLogs(bed, () => captured(bed, fn, inspect, opts)));

    // --- authentication ------------------------------------------------------------------------------------
    // How charon names the scheme it verified our AUTH with: RFC 7427 digital signatures, never legacy SHA-1.
    const auths: [string, Side, string, RegExp | undefined][] = [
      ['PSK', psk, '', /pre-shared key/],
      ['ECDSA P-256 certificates', { auth: 'pubkey', extra: ['send_cert = always'] }, 'ecdsa', /ECDSA_WITH_SHA256_DER/],
      [
        'RSA-3072 certificates (RFC 7427)',
        { auth: 'pubkey', extra: ['send_cert = always'] },
        'rsa',
        /RSA_EMSA_PKCS1_SHA2_256|RSA_EMSA_PSS/,
      ],
      ['Ed25519 certificates', { auth: 'pubkey', extra: ['send_cert = always'] }, 'ed', /ED25519/],
    ];
    for (const [what, side, tag, scheme] of auths) {
      for (const [dirName, dir] of DIRS) {
        await sc(`${what}, ${dirName}`, async () => {
          await configure(
            bed,
            side,
            tag ? { ours: { cert: `left-${tag}.pem` }, charon: { cert: `right-${tag}.pem` } } : {},
          );
          const mark = bed.charon.log().length;
          const { charon: c } = await up(bed, dir);
          const how = authLine(bed.charon, mark);
          check(scheme?.test(how), `charon verified us with "${how}"`);
          return `charon: ${c.encrAlg}/${c.prfAlg}/${c.dhGroup}, ${how}`;
        });
      }
    }

    // --- proposals ------------------------------------------------------------------------------------------
    const proposals: [string, string, (c: IkeSa) => boolean][] = [
      [
        'aes256gcm16-prfsha256-x25519',
        'aes256gcm16',
        (c) => c.encrAlg === 'AES_GCM_16' && c.prfAlg === 'PRF_HMAC_SHA2_256' && c.dhGroup === 'CURVE_25519',
      ],
      [
        'aes128-sha256-modp3072',
        'aes128-sha256',
        (c) => c.encrAlg === 'AES_CBC' && c.integAlg === 'HMAC_SHA2_256_128' && c.dhGroup === 'MODP_3072',
      ],
      [
        'chacha20poly1305-prfsha512-ecp384',
        'chacha20poly1305',
        (c) => c.encrAlg === 'CHACHA20_POLY1305' && c.prfAlg === 'PRF_HMAC_SHA2_512' && c.dhGroup === 'ECP_384',
      ],
    ];
    for (const [ike, esp, ok] of proposals) {
      for (const [dirName, dir] of DIRS) {
        await sc(`proposal ${ike}, ${dirName}`, async () => {
          await configure(bed, { proposals: ike, espProposals: esp });
          const { charon: c, ours: o } = await up(bed, dir);
          check(ok(c), `charon negotiated ${c.encrAlg}/${c.integAlg}/${c.prfAlg}/${c.dhGroup}`);
          return `ours: ${o.suite}; child ${o.children[0]?.suite}`;
        });
      }
    }

    // --- rekeying ---------------------------------------------------------------------------------------------
    for (const [dirName, dir] of DIRS) {
      await sc(`CHILD_SA rekey, ${dirName === 'we initiate' ? 'we start it' : 'charon starts it'}`, async () => {
        await configure(bed, psk);
        const before = await up(bed, 'ours');
        const oldIn = before.ours.children[0]!.spiIn;
        if (dir === 'ours') await ours.call('rekey', { ike: 'c', child: 'ch' });
        else await charon.rekey({ child: 'ch' });
        const after = await waitFor(
          async () => {
            const a = await assertUp(bed).catch(() => undefined);
            return a &&
              a.ours.children.length === 1 &&
              a.ours.children[0]!.spiIn !== oldIn &&
              a.charon.children.filter((c) => c.name === 'ch' && c.state === 'INSTALLED').length === 1
              ? a
              : undefined;
          },
          { what: 'rekeyed CHILD_SA on both sides', timeoutMs: 10_000 },
        );
        return `CHILD_SA ${oldIn} → ${after.ours.children[0]!.spiIn}`;
      });
    }
    for (const [dirName, dir] of DIRS) {
      await sc(`IKE_SA rekey, ${dirName === 'we initiate' ? 'we start it' : 'charon starts it'}`, async () => {
        await configure(bed, psk);
        const before = await up(bed, 'charon');
        if (dir === 'ours') await ours.call('rekey', { ike: 'c' });
        else await charon.rekey({ ike: 'c' });
        const after = await waitFor(
          async () => {
            const sas = await ours.established('c');
            const cs = (await charon.listSas({ ike: 'c' })).filter((s) => s.state === 'ESTABLISHED');
            if (sas.length !== 1 || cs.length !== 1 || sas[0]!.spiI === before.ours.spiI) return undefined;
            return assertUp(bed).catch(() => undefined);
          },
          { what: 'rekeyed IKE_SA on both sides, old one deleted', timeoutMs: 10_000 },
        );
        // The new IKE_SA must work: a liveness check over it.
        const dpd = await ours.call<{ answered: boolean }>('dpd', { ike: 'c' });
        check(dpd.answered, 'no answer to a liveness check over the new IKE_SA');
        return `IKE_SA ${before.ours.spiI} → ${after.ours.spiI}, CHILD_SA kept`;
      });
    }

    // --- DELETE -----------------------------------------------------------------------------------------------
    for (const [dirName, dir] of DIRS) {
      await sc(
        `DELETE, ${dirName === 'we initiate' ? 'we send it' : 'charon sends it'}`,
        async () => {
          await configure(bed, psk);
          await up(bed, dir === 'ours' ? 'charon' : 'ours');
          if (dir === 'ours') await ours.call('terminate', { ike: 'c' });
          else await charon.terminate('c');
          await waitFor(
            async () => (await ours.list()).length === 0 && (await charon.listSas({ ike: 'c' })).length === 0,
            {
              what: 'no SA left on either side',
              timeoutMs: 10_000,
            },
          );
        },
        (ike) => {
          const del = ike.filter((p) => p.exchangeName === 'INFORMATIONAL');
          check(del.length >= 2, `expected an INFORMATIONAL exchange, saw ${del.length} datagrams`);
        },
      );
    }

    // --- liveness ---------------------------------------------------------------------------------------------
    await sc(
      'liveness check (DPD), we send it',
      async () => {
        await configure(bed, psk);
        await up(bed, 'charon');
        const r = await ours.call<{ answered: boolean; state: string }>('dpd', { ike: 'c' });
        check(r.answered && r.state === 'ESTABLISHED', `DPD: ${JSON.stringify(r)}`);
      },
      (ike) => {
        check(
          ike.some((p) => p.exchangeName === 'INFORMATIONAL' && p.response && p.src === bed.right.addr),
          'no INFORMATIONAL response from charon',
        );
      },
    );
    await sc(
      'liveness check (DPD), charon sends it',
      async () => {
        await configure(bed, psk, { charon: { extra: ['dpd_delay = 1s'] } });
        await up(bed, 'ours');
        const mark = charon.log().length;
        await waitFor(() => /sending DPD request/.test(charon.log().slice(mark)), {
          what: 'charon DPD request',
          timeoutMs: 6000,
        });
        // charon logs the DPD response only as a received packet (no 'parsed' line at these log levels).
        await waitFor(() => /sending DPD request[\s\S]*received packet: from /.test(charon.log().slice(mark)), {
          what: 'charon receiving our DPD response',
          timeoutMs: 6000,
        });
        await assertUp(bed);
      },
      (ike) => {
        check(
          ike.some((p) => p.exchangeName === 'INFORMATIONAL' && p.response && p.src === bed.left.addr),
          'we sent no INFORMATIONAL response',
        );
      },
    );

    // --- fragmentation ----------------------------------------------------------------------------------------
    for (const [dirName, dir] of DIRS) {
      await sc(
        `IKE fragmentation with an RSA-4096 intermediate chain, ${dirName}`,
        async () => {
          await configure(
            bed,
            { auth: 'pubkey', extra: ['fragmentation = yes', 'send_cert = always'] },
            {
              ours: { cert: 'left-chain.pem,left-chain-im2.pem,left-chain-im1.pem' },
              charon: { cert: 'right-chain.pem' },
            },
          );
          const mark = charon.log().length;
          await up(bed, dir);
          return authLine(charon, mark);
        },
        (ike) => {
          const frags = ike.filter((p) => p.fragment);
          const fromUs = frags.filter((p) => p.src === bed.left.addr).length;
          const fromCharon = frags.filter((p) => p.src === bed.right.addr).length;
          check(fromUs > 1 && fromCharon > 1, `SKF fragments: ${fromUs} from us, ${fromCharon} from charon`);
          return `${fromUs} fragments from us, ${fromCharon} from charon`;
        },
      );
    }

    // --- INVALID_KE_PAYLOAD -----------------------------------------------------------------------------------
    for (const [dirName, dir] of DIRS) {
      await sc(
        `INVALID_KE_PAYLOAD retry, ${dirName}`,
        async () => {
          // The initiator sends a KE for x25519 first; the responder only accepts ecp256.
          const initiatorSide: Side = { proposals: 'aes256gcm16-prfsha256-x25519-ecp256' };
          const responderSide: Side = { proposals: 'aes256gcm16-prfsha256-ecp256' };
          await configure(
            bed,
            psk,
            dir === 'ours'
              ? { ours: initiatorSide, charon: responderSide }
              : { ours: responderSide, charon: initiatorSide },
          );
          const { charon: c } = await up(bed, dir);
          check(c.dhGroup === 'ECP_256', `negotiated ${c.dhGroup}`);
        },
        (ike) => {
          // (A loaded machine may add retransmissions, each answered again: count at least, not exactly.)
          const n = ike.filter((p) => p.notifies.some((x) => x.type === NOTIFY_INVALID_KE));
          check(n.length >= 1, 'no INVALID_KE_PAYLOAD notify');
          const responder = dir === 'ours' ? bed.right.addr : bed.left.addr;
          check(
            n.every((p) => p.src === responder),
            'INVALID_KE_PAYLOAD from the wrong side',
          );
          const inits = ike.filter((p) => p.exchangeName === 'IKE_SA_INIT' && !p.response);
          check(inits.length >= 2, `${inits.length} IKE_SA_INIT requests`);
        },
      );
    }

    // --- COOKIEs demanded by us ------------------------------------------------------------------------------
    await sc(
      'COOKIE demanded by us, charon retries with it',
      async () => {
        await configure(bed, psk, { engine: { cookieThreshold: 0 } });
        await up(bed, 'charon');
      },
      (ike) => {
        // The first COOKIE comes from us, then the retry carries it back (retransmissions may add more).
        const c = ike.filter((p) => p.notifies.some((x) => x.type === NOTIFY_COOKIE));
        const retry = c.findIndex((p) => p.src === bed.right.addr);
        check(c[0]?.src === bed.left.addr && retry > 0, `COOKIE notifies: ${c.map((p) => p.src).join(', ')}`);
      },
    );

    // --- bad input against our responder ---------------------------------------------------------------------
    await sc(
      'flood of IKE_SA_INIT from 400 source ports: cookies, half-open bounded, charon still gets through',
      async () => {
        await configure(bed, psk, { engine: { cookieThreshold: 20, blockThreshold: 1000, halfOpenTimeout: 3000 } });
        const flood = Array.from({ length: 400 }, () => initRequest());
        const floodDone = floodFromPorts(right.ns, left.addr, 500, flood, { batch: 100, replyMs: 500 });
        await sleep(150);
        await charon.initiate('ch', 'c');
        const replies = await floodDone;
        await assertUp(bed);
        const kinds = replies.map((r) => (r ? classifyInitResponse(r).kind : 'none'));
        const cookies = kinds.filter((k) => k === 'cookie').length;
        const answers = kinds.filter((k) => k === 'answer').length;
        const stats = await ours.call<{ halfOpen: number; sas: number; engine: { cookiesSent: number } }>('stats');
        check(cookies > 300, `only ${cookies} COOKIE replies`);
        check(answers <= 21, `${answers} full answers (state created) above the cookie threshold`);
        check(stats.halfOpen <= 21, `${stats.halfOpen} half-open SAs`);
        // Half-open SAs expire: memory stays bounded.
        await waitFor(async () => (await ours.call<{ halfOpen: number; sas: number }>('stats')).halfOpen === 0, {
          what: 'half-open SAs expired',
          timeoutMs: 8000,
        });
        const end = await ours.call<{ sas: number }>('stats');
        check(end.sas === 1, `${end.sas} IKE SAs left (expected only charon's)`);
        return `${answers} answered, ${cookies} COOKIEs, ${kinds.filter((k) => k === 'none').length} dropped; half-open ${stats.halfOpen} → 0`;
      },
    );

    await sc('retransmitted IKE_SA_INIT over UDP answered from the cache, byte for byte', async () => {
      await configure(bed, psk);
      const req = initRequest(randomSpi());
      const a = await sendUdp(right.ns, left.addr, 500, req, { fromPort: 40_500, replyMs: 1000 });
      const b = await sendUdp(right.ns, left.addr, 500, req, { fromPort: 40_500, replyMs: 1000 });
      check(a && b, 'no answer');
      check(Buffer.from(a).equals(Buffer.from(b)), 'the retransmission got a different answer');
      check(classifyInitResponse(a).kind === 'answer', 'not an IKE_SA_INIT answer');
      const stats = await ours.call<{ sas: number; engine: { retransmitsAnswered: number } }>('stats');
      check(stats.sas === 1 && stats.engine.retransmitsAnswered === 1, `stats ${JSON.stringify(stats)}`);
    });

    await sc(
      'replayed IKE_AUTH request: answered from the cache to the real peer, later ignored, SA not moved',
      async () => {
        await configure(bed, psk);
        const cap = await startCapture(left.ns, 'eth0');
        await up(bed, 'charon');
        await cap.stop();
        const { ike } = await decodeIke(cap.file);
        const auth = ike.find((p) => p.exchangeName === 'IKE_AUTH' && !p.response);
        cap.remove();
        check(auth, 'IKE_AUTH request not captured');
        type Stats = { engine: { sent: number }; sas: number };
        const replay = async (): Promise<number> => {
          const before = await ours.call<Stats>('stats');
          // From another port of charon's host: RFC 7296 §2.23 forbids following it.
          await sendUdp(right.ns, left.addr, 4500, auth.udpPayload, { replyMs: 400 });
          const after = await ours.call<Stats>('stats');
          check(after.sas === 1, `${after.sas} IKE SAs after the replay`);
          const [o] = await ours.established('c');
          check(o?.remote === `${right.addr}[4500]`, `our SA moved to ${o?.remote}`);
          return after.engine.sent - before.engine.sent;
        };
        const first = await replay();
        check(first === 1, `${first} datagrams sent for a retransmission of the last request`);
        // A newer exchange (charon rekeys the CHILD_SA): the IKE_AUTH request is now old and must be ignored.
        const oldIn = (await assertUp(bed)).ours.children[0]!.spiIn;
        await charon.rekey({ child: 'ch' });
        await waitFor(async () => (await assertUp(bed).catch(() => undefined))?.ours.children[0]?.spiIn !== oldIn, {
          what: 'CHILD_SA rekeyed',
        });
        const second = await replay();
        check(second === 0, `${second} datagrams sent for an old request`);
        await assertUp(bed);
        const dpd = await ours.call<{ answered: boolean }>('dpd', { ike: 'c' });
        check(dpd.answered, 'the SA no longer works after the replays');
      },
    );

    await sc(
      'malformed IKE_SA_INIT requests: no answer, no state',
      async () => {
        await configure(bed, psk);
        const results: string[] = [];
        for (const m of malformedRequests()) {
          const r = await sendUdp(right.ns, left.addr, 500, m.data, { replyMs: 300 });
          const kind = r ? classifyInitResponse(r) : undefined;
          // RFC 7296 §2.21.1: errors in IKE_SA_INIT may be answered with a notify, but never with state.
          check(!kind || kind.kind === 'notify', `${m.name}: answered with ${kind?.kind}`);
          results.push(`${m.name}: ${kind ? `notify ${kind.notify}` : 'dropped'}`);
        }
        const stats = await ours.call<{ sas: number; halfOpen: number }>('stats');
        check(stats.sas === 0 && stats.halfOpen === 0, `state after malformed input: ${JSON.stringify(stats)}`);
        await up(bed, 'charon');
        return results.join('; ');
      },
      undefined,
      { ignore: (p) => p.src === right.addr && p.srcPort !== 500 && p.srcPort !== 4500 },
    );

    // --- COOKIE demanded by charon: restart it with cookie_threshold = 1 and hold one half-open SA there ----------
    await bed.charon.stop();
    bed.charon = await startMainCharon({ cookieThreshold: 1 });
    await sc(
      'COOKIE demanded by charon, we retry with it',
      async () => {
        await configure(bed, psk);
        // A stray IKE_SA_INIT from another port leaves one half-open IKE_SA at charon: the threshold is reached.
        const r = await sendUdp(left.ns, right.addr, 500, initRequest(), { fromPort: 40_501, replyMs: 1000 });
        check(r && classifyInitResponse(r).kind === 'answer', 'charon did not answer the first IKE_SA_INIT');
        await up(bed, 'ours');
      },
      (ike) => {
        // The first COOKIE comes from charon, then the retry carries it back (retransmissions may add more).
        const c = ike.filter((p) => p.notifies.some((x) => x.type === NOTIFY_COOKIE));
        const retry = c.findIndex((p) => p.src === bed.left.addr);
        check(c[0]?.src === bed.right.addr && retry > 0, `COOKIE notifies: ${c.map((p) => p.src).join(', ')}`);
      },
    );
  } finally {
    const problems = await tb.destroy();
    if (problems.length) log(`cleanup: ${problems.join('; ')}`);
    log(`suite took ${Math.round((performance.now() - t0) / 1000)} s`);
  }
}
