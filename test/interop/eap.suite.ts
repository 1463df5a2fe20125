/**
 * `npm run interop -- eap`: our EAP (src/eap) inside our IKE engine against Debian's charon 5.9.8 with its
 * eap-identity, eap-md5 and eap-ttls plugins, on a two-namespace test bed (left = ours, right = charon). TLS 1.2
 * only (charon's EAP default; 5.9.8's TLS 1.3 MSK uses an older label).
 *
 *   1. EAP-TTLS + inner EAP-MD5, we are the EAP peer (IKE initiator), charon the server (pubkey responder)
 *      (and once more with 300-byte fragments and a client certificate: ACKs both ways)
 *   2. the same with the roles swapped: charon initiates as EAP peer, we answer as EAP server
 *   3. the EAP-only mutual-certificate TTLS shell (RFC 5998, `request_peer_auth = yes`, `phase2_tnc = no`), we peer
 *   4. the same shell, charon peer, our server with phase 2 'none'
 *   5. our server asks for PT-EAP inside the tunnel; charon (no TNC) answers with a Nak: our server ends the attempt
 *      with EAP-Failure, no IKE SA on either side
 *
 * Then ours with ours (lib/eap-ours.ts): two in-process daemons on 127.0.60-64.x, each with its own swtpm device,
 * `tnc { imcs = attest  imvs = attest }`, each verifier trusting the other's AIK and referencing its manifest,
 * requiredPcrs 0,7,10:
 *   6. full mutual attestation over TLS 1.3 and over TLS 1.2 (attestd.eap.tls_max): both verdicts allow, CHILD_SA
 *      installed on both sides
 *   7. a file of A's tree changed after its reference measurement: B refuses A (AUTHENTICATION_FAILED, no IKE SA),
 *      B's 'attest:verdict' reasons name the file
 *   8. B's verifiers (attest + test) isolate A: CHILD_SA narrowed to isolate_ts
 * and bad input at our EAP server from a scripted IKE initiator (lib/eap-bad-input.ts, 127.0.63.x): fragment flood,
 * oversize TTLS message, AVPs with bad lengths, wrong identifiers/codes, out-of-order packets → EAP-Failure, silent
 * discard or AUTHENTICATION_FAILED; the responder's IKE SA is gone afterwards and it still serves a good client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestbed } from '../support/netns.ts';
import type { Testbed, TestbedHost } from '../support/netns.ts';
import { pkiCertificates, startCharon } from '../support/charon.ts';
import type { Charon, PkiSet } from '../support/charon.ts';
import { charonSwanctl } from './lib/eap-scenarios.ts';
import type { CharonSide, EapRunnerConfig, EapRunnerResult } from './lib/eap-scenarios.ts';
import { provisionDevice } from '../support/attest-device.ts';
import { changedBinary, isolated, mutualAllowed } from './lib/eap-ours.ts';
import type { Devices } from './lib/eap-ours.ts';
import {
  badAvps,
  badInput,
  fragmentFlood,
  outOfOrder,
  oversizeMessage,
  wrongIdentifiers,
} from './lib/eap-bad-input.ts';

type Ctx = { scenario: (name: string, fn: () => Promise<string | void>) => Promise<boolean>; log: (s: string) => void };

const OURS = 'ours.attestd.test';
const THEIRS = 'charon.attestd.test';
const MD5_ID = 'carol';
const MD5_SECRET = 'carol-eap-secret';
const RUNNER = resolve(import.meta.dirname, 'lib/eap-runner.ts');

interface Bed {
  tb: Testbed;
  left: TestbedHost;
  right: TestbedHost;
  pki: PkiSet;
  dir: string;
}

async function withCharon<T>(bed: Bed, side: CharonSide, fn: (c: Charon) => Promise<T>): Promise<T> {
  const c = await startCharon(bed.right, {
    name: 'charon',
    swanctlConf: charonSwanctl({
      me: bed.right.addr,
      peer: bed.left.addr,
      inner: bed.right.inner,
      peerInner: bed.left.inner,
      side,
      md5Id: MD5_ID,
      md5Secret: MD5_SECRET,
    }),
    strongswanConf: {
      extraPlugins: ['eap-identity', 'eap-md5', 'eap-ttls'],
      charon: {
        plugins: { 'eap-ttls': { phase2_method: 'md5', phase2_tnc: false, max_message_count: 0, ...side.ttls } },
      },
    },
    certs: {
      x509ca: { 'ca.pem': bed.pki.ca.cert },
      x509: { 'charon.pem': bed.pki.hosts[THEIRS]!.cert },
      private: { 'charon.pem': bed.pki.hosts[THEIRS]!.key },
    },
    logLevels: { tls: 2, ike: 2, cfg: 2, enc: 1 },
    testbed: bed.tb,
  });
  try {
    return await fn(c);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${c.describe(50)}`, { cause: e });
  } finally {
    await c.stop();
  }
}

function config(
  bed: Bed,
  o: Partial<EapRunnerConfig> & Pick<EapRunnerConfig, 'role' | 'ourAuth' | 'peerAuth'>,
): EapRunnerConfig {
  return {
    addr: bed.left.addr,
    peerAddr: bed.right.addr,
    innerTs: `${bed.left.inner}/32`,
    peerInnerTs: `${bed.right.inner}/32`,
    ourId: OURS,
    peerId: THEIRS,
    method: 'ttls',
    eapOnly: false,
    phase2: 'md5',
    tlsCert: false,
    cert: bed.pki.hosts[OURS]!.cert,
    key: bed.pki.hosts[OURS]!.key,
    ca: bed.pki.ca.cert,
    md5Id: MD5_ID,
    md5Secret: MD5_SECRET,
    timeoutMs: 15_000,
    ...o,
  };
}

/** Starts our runner; `act` runs once it listens (charon initiates there); resolves with its result. */
async function runOurs(bed: Bed, cfg: EapRunnerConfig, act?: () => Promise<unknown>): Promise<EapRunnerResult> {
  const path = join(bed.dir, `runner-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  const proc = bed.tb.spawn(bed.left, process.execPath, [RUNNER, path], { name: 'eap-runner' });
  try {
    const t0 = Date.now();
    while (!proc.stdout().includes('READY')) {
      if (proc.exitStatus()) throw new Error(`runner exited early:\n${proc.stderr().slice(-3000)}`);
      if (Date.now() - t0 > 10_000) throw new Error('runner did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    if (act) await act();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([proc.exited, new Promise((r) => (timer = setTimeout(r, cfg.timeoutMs + 10_000)))]);
    clearTimeout(timer);
    const line = proc
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`runner gave no result:\n${proc.stderr().slice(-3000)}`);
    return JSON.parse(line.slice(7)) as EapRunnerResult;
  } finally {
    if (!proc.exitStatus()) await proc.stop();
  }
}

function need(ok: boolean, what: string, r: EapRunnerResult): void {
  if (!ok) throw new Error(`${what}\nour log:\n${r.log.join('\n')}${r.error ? `\nerror: ${r.error}` : ''}`);
}

export async function run({ scenario, log }: Ctx): Promise<void> {
  const tb = await createTestbed();
  const dir = mkdtempSync(join(tmpdir(), 'attestd-eap-interop-'));
  try {
    const pki = await pkiCertificates([OURS, THEIRS]);
    const bed: Bed = { tb, left: tb.host('left'), right: tb.host('right'), pki, dir };
    log(`test bed ${tb.id}: ours ${bed.left.addr}, charon ${bed.right.addr}`);

    await scenario('EAP-TTLS (TLS 1.2) + EAP-MD5: we are the EAP peer, charon the EAP server', () =>
      withCharon(
        bed,
        {
          local: ['auth = pubkey', 'certs = charon.pem', `id = ${THEIRS}`],
          remote: ['auth = eap-ttls', `id = ${OURS}`],
          ttls: { request_peer_auth: false },
        },
        async (c) => {
          const r = await runOurs(
            bed,
            config(bed, {
              role: 'initiator',
              ourAuth: 'eap',
              peerAuth: 'pubkey',
              eapId: MD5_ID,
              serverIdentity: THEIRS,
            }),
          );
          need(r.established, 'our IKE SA is not established', r);
          const sa = await c.waitForSa('eap', { child: 'net' });
          return `charon ${sa.state}, children ${r.sa?.children}`;
        },
      ),
    );

    await scenario('EAP-TTLS fragmented in 300-byte packets both ways (ACKs), we are the EAP peer', () =>
      withCharon(
        bed,
        {
          local: ['auth = pubkey', 'certs = charon.pem', `id = ${THEIRS}`],
          remote: ['auth = eap-ttls', `id = ${OURS}`],
          ttls: { request_peer_auth: true, phase2_tnc: false, fragment_size: 300 },
        },
        async (c) => {
          const r = await runOurs(
            bed,
            config(bed, {
              role: 'initiator',
              ourAuth: 'eap',
              peerAuth: 'pubkey',
              tlsCert: true,
              serverIdentity: THEIRS,
              fragmentSize: 300,
            }),
          );
          need(r.established, 'our IKE SA is not established', r);
          await c.waitForSa('eap', { child: 'net' });
          const frags = (c.log().match(/sending EAP_TTLS (first|further|final) fragment/g) ?? []).length;
          const acks = (c.log().match(/received EAP_TTLS acknowledgment packet/g) ?? []).length;
          const sentAcks = (c.log().match(/sending EAP_TTLS acknowledgment packet/g) ?? []).length;
          if (!frags || !acks || !sentAcks)
            throw new Error(`charon sent ${frags} fragments and ${sentAcks} ACKs, received ${acks} ACKs`);
          return `charon sent ${frags} fragments and ${sentAcks} ACKs (for ours), received ${acks} ACKs`;
        },
      ),
    );

    await scenario('EAP-TTLS (TLS 1.2) + EAP-MD5: charon is the EAP peer, we are the EAP server', () =>
      withCharon(
        bed,
        {
          local: ['auth = eap-ttls', `id = ${THEIRS}`, `eap_id = ${MD5_ID}`],
          remote: ['auth = pubkey', `id = ${OURS}`],
          ttls: {},
        },
        async (c) => {
          const r = await runOurs(
            bed,
            config(bed, { role: 'responder', ourAuth: 'pubkey', peerAuth: 'eap', phase2: 'md5', tlsCert: true }),
            () => c.initiate('net', 'eap', { allowFail: true }),
          );
          need(r.established, 'our IKE SA is not established', r);
          need(r.server?.outcome === 'success', `our EAP server: ${JSON.stringify(r.server)}`, r);
          const sa = await c.waitForSa('eap', { child: 'net' });
          return `charon ${sa.state}, inner identity '${r.server?.identity}'`;
        },
      ),
    );

    const shell: CharonSide = {
      local: ['auth = eap-ttls', 'certs = charon.pem', `id = ${THEIRS}`],
      remote: ['auth = eap-ttls', `id = ${OURS}`],
      ttls: { request_peer_auth: true, phase2_tnc: false },
    };

    await scenario('EAP-only mutual-certificate TTLS shell: we are the EAP peer (client certificate)', () =>
      withCharon(bed, shell, async (c) => {
        const r = await runOurs(
          bed,
          config(bed, {
            role: 'initiator',
            ourAuth: 'eap',
            peerAuth: 'eap',
            eapOnly: true,
            tlsCert: true,
            serverIdentity: THEIRS,
          }),
        );
        need(r.established, 'our IKE SA is not established', r);
        const sa = await c.waitForSa('eap', { child: 'net' });
        return `charon ${sa.state}`;
      }),
    );

    await scenario('EAP-only mutual-certificate TTLS shell: charon is the EAP peer, we are the server', () =>
      withCharon(bed, shell, async (c) => {
        const r = await runOurs(
          bed,
          config(bed, {
            role: 'responder',
            ourAuth: 'eap',
            peerAuth: 'eap',
            eapOnly: true,
            phase2: 'none',
            tlsCert: true,
          }),
          () => c.initiate('net', 'eap', { allowFail: true }),
        );
        need(r.established, 'our IKE SA is not established', r);
        const sa = await c.waitForSa('eap', { child: 'net' });
        return `charon ${sa.state}`;
      }),
    );

    await scenario('charon refuses PT-EAP with a Nak: our server ends the attempt with EAP-Failure', () =>
      withCharon(bed, shell, async (c) => {
        let init: { success: boolean; errmsg: string } | undefined;
        const r = await runOurs(
          bed,
          config(bed, {
            role: 'responder',
            ourAuth: 'eap',
            peerAuth: 'eap',
            eapOnly: true,
            phase2: 'pt-eap',
            tlsCert: true,
            timeoutMs: 8000,
          }),
          async () => {
            init = await c.initiate('net', 'eap', { allowFail: true, timeoutMs: 8000 });
          },
        );
        need(!r.established, 'our IKE SA came up although PT-EAP was refused', r);
        need(r.server?.outcome === 'failure', `our EAP server: ${JSON.stringify(r.server)}`, r);
        need(/none of our EAP methods/.test(r.server?.reason ?? ''), `reason: ${r.server?.reason}`, r);
        if (init?.success) throw new Error('charon reports the IKE SA as established');
        if (!/EAP method not supported|Nak|EAP_FAILURE|EAP method failed/i.test(c.log()))
          throw new Error('charon log does not show the Nak / failure');
        return `our server: ${r.server?.reason}`;
      }),
    );
  } finally {
    await tb.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  await oursWithOurs({ scenario, log });
}

/** Ours with ours (scenarios 6-8) and bad input at our EAP server; loopback bases 127.0.60-64.x. */
async function oursWithOurs({ scenario, log }: Ctx): Promise<void> {
  let provisioned: Promise<Devices> | undefined;
  const devices = () =>
    (provisioned ??= (async () => {
      const a = await provisionDevice();
      try {
        return { a, b: await provisionDevice() };
      } catch (e) {
        await a.cleanup();
        throw e;
      }
    })());
  try {
    await scenario(
      'ours ↔ ours: full mutual TPM attestation (PCRs 0,7,10) over TLS 1.3: both allow, CHILD_SA up',
      async () => {
        const d = await devices();
        log(`devices: A swtpm ${d.a.sw.port}, tree ${d.a.bin}; B swtpm ${d.b.sw.port}, tree ${d.b.bin}`);
        return mutualAllowed(d, 60, '1.3');
      },
    );
    await scenario(
      'ours ↔ ours: full mutual TPM attestation (PCRs 0,7,10) over TLS 1.2: both allow, CHILD_SA up',
      async () => mutualAllowed(await devices(), 64, '1.2'),
    );
    await scenario("ours ↔ ours: a binary changed in A's tree: B refuses A and names the file", async () =>
      changedBinary(await devices(), 61),
    );
    await scenario('ours ↔ ours: B isolates A (attest + test IMV): CHILD_SA narrowed to isolate_ts', async () =>
      isolated(await devices(), 62),
    );
  } finally {
    if (provisioned) {
      const d = await provisioned.catch(() => undefined);
      await d?.a.cleanup();
      await d?.b.cleanup();
    }
  }
  await scenario('bad EAP input at our EAP server: EAP-TTLS fragment flood → EAP-Failure at the size limit', () =>
    badInput(63, fragmentFlood),
  );
  await scenario('bad EAP input at our EAP server: oversize TTLS message (L flag) → EAP-Failure', () =>
    badInput(63, oversizeMessage),
  );
  await scenario('bad EAP input at our EAP server: AVPs with bad lengths in the tunnel → EAP-Failure', () =>
    badInput(63, badAvps),
  );
  await scenario('bad EAP input at our EAP server: wrong identifiers and codes are discarded, then EAP-Failure', () =>
    badInput(63, wrongIdentifiers),
  );
  await scenario('bad EAP input at our EAP server: out-of-order packets → EAP-Failure / AUTHENTICATION_FAILED', () =>
    badInput(63, outOfOrder),
  );
}
