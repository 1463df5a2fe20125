/**
 * `npm run bench -- ike [--sas N] [--concurrency C] [--auth psk,ecdsa]`: IKE_SA setup rate of our responder against
 * charon 5.9.8 as responder (kernel-libipsec), both driven by the same load generator: our engine as initiator in
 * another namespace, N IKE_SAs (IKE_SA_INIT + IKE_AUTH + first CHILD_SA, aes256gcm16-prfsha256-x25519) with C in
 * flight at once, each with its own SPIs and, for PSK, its own identity against a wildcard PSK (certificates: one
 * identity, `unique = never`). Defaults: 5,000 SAs at concurrency 50, PSK and ECDSA P-256 certificates.
 *
 *   [left]  load generator (ours, initiator) ──veth── responder: ours, then charon  [right]
 *
 * Per responder: SAs/s (wall time of the whole run), CPU seconds per SA (utime + stime of the responder process from
 * /proc/<pid>/stat, before and after) and resident size after N SAs (VmRSS, all SAs still up; ours read after a forced
 * garbage collection). The DoS limits of both
 * responders are raised out of the way (charon: cookie_threshold, cookie_threshold_ip, block_threshold,
 * init_limit_half_open; ours: cookie and block thresholds), since every SA comes from one address.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { result, type BenchResult } from '../test/support/harness.ts';
import { createTestbed, type TestbedHost } from '../test/support/netns.ts';
import { startCharon } from '../test/support/charon.ts';
import { createCa, issueCert } from '../src/daemon/pki/index.ts';
import { BENCH_SETTINGS } from './baseline-charon.ts';
import {
  ikeSwanctlConf,
  procCpuSeconds,
  procRssBytes,
  startOurs,
  type CredFiles,
  type IkeConfOptions,
  type LoadResult,
} from '../test/interop/lib/ike-peer.ts';

interface Measured {
  sas: number;
  perSecond: number;
  cpuPerSa: number;
  rssMb: number;
}

const RAISED = { cookieThreshold: 1_000_000, blockThreshold: 1_000_000, halfOpenTimeout: 60_000 };

export async function run({ args, log }: { args: string[]; log: (s: string) => void }): Promise<BenchResult[]> {
  const { values } = parseArgs({
    args,
    options: {
      sas: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '50' },
      auth: { type: 'string', default: 'psk,ecdsa' },
    },
  });
  const n = Number(values.sas);
  const concurrency = Number(values.concurrency);
  const auths = values.auth.split(',') as ('psk' | 'ecdsa')[];
  const tb = await createTestbed({ hosts: 2 });
  const out: BenchResult[] = [];
  try {
    const [left, right] = tb.hosts as [TestbedHost, TestbedHost];
    const ca = await createCa({ subject: 'C=CH, O=attestd bench, CN=bench CA', keyType: 'ecdsa-p256' });
    const [lc, rc] = await Promise.all(
      ['left', 'right'].map((h) =>
        issueCert({ ca, subject: `C=CH, O=attestd bench, CN=${h}`, san: [h], keyType: 'ecdsa-p256' }),
      ),
    );
    const files = (h: string, c: { certPem: string; keyPem: string }): CredFiles => ({
      x509ca: { 'ca.pem': ca.certPem },
      x509: { [`${h}.pem`]: c.certPem },
      private: { [`${h}.pem`]: c.keyPem },
    });
    const certs = { left: files('left', lc!), right: files('right', rc!) };

    for (const auth of auths) {
      const common: Omit<IkeConfOptions, 'me' | 'peer'> =
        auth === 'psk'
          ? { wildcardPsk: true, extra: ['unique = never', 'rekey_time = 0'] }
          : { auth: 'pubkey', extra: ['unique = never', 'rekey_time = 0', 'send_cert = always'] };
      const generatorConf = ikeSwanctlConf({ ...common, me: left, peer: right });
      const responderConf = ikeSwanctlConf({ ...common, me: right, peer: left, remoteId: '%any' });
      const generator = await startOurs(left, { conf: generatorConf, certs: certs.left, testbed: tb, engine: RAISED });
      const drive = async (
        label: string,
        pid: number,
        count: () => Promise<number>,
        beforeRss: () => Promise<void> = async () => {},
      ): Promise<Measured> => {
        // Warm-up (JIT, caches), not counted: one round of `concurrency` SAs.
        const warm = await generator.call<LoadResult>('load', { ike: 'c', n: concurrency, concurrency }, 120_000);
        if (warm.failed) throw new Error(`${label} warm-up: ${warm.failed} failed: ${warm.errors.join('; ')}`);
        const cpu0 = procCpuSeconds(pid);
        const r = await generator.call<LoadResult>('load', { ike: 'c', n, concurrency }, 30 * 60_000);
        const cpu1 = procCpuSeconds(pid);
        if (r.failed) throw new Error(`${label}: ${r.failed} of ${n} SAs failed: ${r.errors.join('; ')}`);
        const held = await count();
        await beforeRss();
        const m: Measured = {
          sas: r.established,
          perSecond: r.established / (r.ms / 1000),
          cpuPerSa: (cpu1 - cpu0) / r.established,
          rssMb: procRssBytes(pid) / 2 ** 20,
        };
        log(
          `${auth} ${label}: ${m.sas} SAs in ${(r.ms / 1000).toFixed(1)} s = ${m.perSecond.toFixed(0)}/s, ` +
            `${(m.cpuPerSa * 1000).toFixed(2)} ms CPU/SA, RSS ${m.rssMb.toFixed(1)} MB holding ${held} IKE_SAs`,
        );
        await generator.call('forget');
        return m;
      };

      const ours = await startOurs(right, {
        conf: responderConf,
        certs: certs.right,
        testbed: tb,
        engine: RAISED,
        nodeArgs: ['--expose-gc'],
      });
      // RSS is read after a full garbage collection: what the SAs hold, not garbage V8 has yet to collect.
      const mine = await drive(
        'ours',
        ours.pid,
        async () => (await ours.call<{ sas: number }>('stats')).sas,
        async () => void (await ours.call('gc')),
      );
      await ours.stop();

      const charon = await startCharon(right, {
        swanctlConf: responderConf,
        certs: certs.right,
        testbed: tb,
        strongswanConf: { ...BENCH_SETTINGS, charon: { init_limit_half_open: 1_000_000 } },
        logLevels: { default: 0, ike: 0, cfg: 0, net: 0, knl: 0, enc: 0 },
      });
      log(`charon pid ${charon.pid}: ${readFileSync(`/proc/${charon.pid}/comm`, 'utf8').trim()}`);
      const theirs = await drive('charon', charon.pid, async () => {
        const { response } = await (await charon.vici()).request('stats', {});
        const ike = response.ikesas;
        return typeof ike === 'object' && !Array.isArray(ike) && !(ike instanceof Uint8Array) ? Number(ike.total) : -1;
      });
      await charon.stop();
      await generator.stop();

      const what = auth === 'psk' ? 'PSK' : 'ECDSA P-256';
      out.push(
        result(
          `IKE_SA setup rate, ${what}, ${n} SAs at concurrency ${concurrency}`,
          'SAs/s',
          mine.perSecond,
          theirs.perSecond,
          'charon 5.9.8',
          'higher',
        ),
        result(
          `responder CPU per IKE_SA, ${what}`,
          'ms',
          mine.cpuPerSa * 1000,
          theirs.cpuPerSa * 1000,
          'charon 5.9.8',
          'lower',
        ),
        result(`responder RSS after ${n} IKE_SAs, ${what}`, 'MB', mine.rssMb, theirs.rssMb, 'charon 5.9.8', 'lower'),
      );
    }
  } finally {
    const problems = await tb.destroy();
    if (problems.length) log(`cleanup: ${problems.join('; ')}`);
  }
  return out;
}
