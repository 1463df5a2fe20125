/**
 * `npm run interop -- tnc`. Debian's strongSwan has no PB-TNC (no tnccs-20 plugin), so interoperability is shown
 * against strongSwan 6.0.6's own bytes (test/vectors/strongswan-6.0.6, captured `pt-tls-client --mutual` runs):
 *
 * 1. every captured batch decodes and re-encodes byte for byte;
 * 2. fed strongSwan's batches, our transport server answers exactly what strongSwan accepted (mutual and plain);
 * 3. our real imc-test/imv-test, hosted as a mutual transport client with strongSwan's message ids, send
 *    strongSwan's batches byte for byte;
 * 4. our TNC client and server run every collector/verifier pair (test, os, test+os) against each other, one-way
 *    and mutual, in process and over PT-TLS (TLS 1.3 with SASL PLAIN, TLS 1.2 with client certificates), for
 *    allow, isolate, block and retry;
 * 5. bad input over PT-TLS: a stalled client is timed out, sessions beyond the limit are refused, a malformed
 *    PB-TNC batch is answered with a PB-TNC CLOSE carrying a PB-Error.
 */
import { connect } from 'node:tls';
import { seededRng, silentLogger, toHex } from '../../src/common/index.ts';
import {
  MutualPbTnc,
  PbBatchType,
  PbErrorCode,
  Recommendation,
  RecommendationName,
  decodeBatch,
  encodeBatch,
} from '../../src/tnc/pb/index.ts';
import type { RecommendationValue } from '../../src/tnc/pb/index.ts';
import { createTncSide, runInProcess } from '../../src/tnc/imc-imv/index.ts';
import type { ImcModule, ImvModule, TncOutcome, TncSide } from '../../src/tnc/imc-imv/index.ts';
import { ptTlsAssess, startAssessmentServer } from '../../src/tnc/pt-tls-assess.ts';
import type { AssessmentServer } from '../../src/tnc/pt-tls-assess.ts';
import { ptTlsConnect } from '../../src/tnc/pt-tls/index.ts';
import { createTestImc } from '../../src/imc/test/index.ts';
import { createTestImv } from '../../src/imv/test/index.ts';
import { createOsImc, staticOsInfo } from '../../src/imc/os/index.ts';
import type { OsInfo } from '../../src/imc/os/index.ts';
import { configOsPolicy, createOsImv } from '../../src/imv/os/index.ts';
import { TestImc, TestImv } from '../unit/tnc/pb/test-handlers.ts';
import { STRONGSWAN_TRACE_IDS, ctx, debianInfo, idSequence, readTrace } from '../unit/tnc/imc-imv/helpers.ts';
import { loopbackServer, makeTestPki } from '../unit/tnc/pt-tls/certs.ts';

type Ctx = { scenario: (name: string, fn: () => Promise<string | void>) => Promise<boolean>; log: (s: string) => void };

const TRACES = [
  'strongswan-trace_mutual_pttls.txt',
  'strongswan-trace_sasl_mutual_pttls.txt',
  'strongswan-trace_nonmutual_pttls.txt',
];

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

const recName = (r: RecommendationValue | undefined) =>
  r === undefined ? 'none' : (RecommendationName.get(r) ?? String(r));

/** The `->` batch after each `<-` batch (undefined when strongSwan got no answer). */
function expectedAnswers(steps: ReturnType<typeof readTrace>): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  for (let i = 0; i < steps.length; i++) {
    if (steps[i]!.dir !== 'in') continue;
    const next = steps[i + 1];
    out.push(next?.dir === 'out' ? next.batch : undefined);
  }
  return out;
}

type Pair = 'test' | 'os' | 'test+os';
type Verdict = 'allow' | 'isolate' | 'block' | 'retry';
const want: Record<Verdict, RecommendationValue> = {
  allow: Recommendation.ACCESS_ALLOWED,
  isolate: Recommendation.QUARANTINED,
  block: Recommendation.ACCESS_DENIED,
  retry: Recommendation.ACCESS_ALLOWED,
};

/** OS facts that make the OS verifier produce each verdict. */
function osFacts(v: Verdict): OsInfo {
  if (v === 'isolate') return debianInfo({ forwarding: 1 });
  if (v === 'block') return debianInfo({ product: { name: 'Windows 95', vendor: 0, id: 0 } });
  return debianInfo();
}
const osPolicy = () => configOsPolicy({ allowedProducts: ['/^Debian/'], allowedTcpPorts: [22] });

function modules(pair: Pair, v: Verdict): { imcs: ImcModule[]; imvs: ImvModule[] } {
  const imcs: ImcModule[] = [];
  const imvs: ImvModule[] = [];
  if (pair !== 'os') {
    imcs.push(createTestImc(v === 'retry' ? { command: 'retry', retryCommand: 'allow' } : { command: v }));
    imvs.push(createTestImv({ rounds: 1 }));
  }
  if (pair !== 'test') {
    imcs.push(createOsImc({ source: staticOsInfo(osFacts(pair === 'os' ? v : 'allow')) }));
    imvs.push(createOsImv(osPolicy()));
  }
  return { imcs, imvs };
}

function verify(
  label: string,
  client: TncOutcome,
  server: TncOutcome | undefined,
  mutual: boolean,
  expected: RecommendationValue,
): string {
  check(client.done, `${label}: client not done`);
  check(client.mutual === mutual, `${label}: mutual mode ${client.mutual}, expected ${mutual}`);
  check(
    client.assessedBy?.recommendation === expected,
    `${label}: client was told ${recName(client.assessedBy?.recommendation)}, expected ${recName(expected)}`,
  );
  if (server) {
    check(
      server.decision?.recommendation === expected,
      `${label}: server decided ${recName(server.decision?.recommendation)}`,
    );
    if (mutual) {
      check(
        server.assessedBy?.recommendation === expected,
        `${label}: server was told ${recName(server.assessedBy?.recommendation)}`,
      );
      check(
        client.decision?.recommendation === expected,
        `${label}: client decided ${recName(client.decision?.recommendation)}`,
      );
    }
  }
  const reasons = client.assessedBy?.reasons.map((r) => r.reason) ?? [];
  return `${recName(expected)}${reasons.length ? ` (${reasons.join('; ')})` : ''}`;
}

export async function run({ scenario, log }: Ctx): Promise<void> {
  // 1. Decode / re-encode.
  for (const name of TRACES) {
    await scenario(`trace ${name}: strongSwan's batches decode and re-encode byte for byte`, async () => {
      const steps = readTrace(name);
      for (const s of steps) check(toHex(encodeBatch(decodeBatch(s.batch))) === toHex(s.batch), 'batch differs');
      return `${steps.length} batches`;
    });
  }

  // 2. Our transport server answers what strongSwan accepted.
  for (const name of TRACES) {
    const mutual = !name.includes('nonmutual');
    await scenario(`trace ${name}: our transport server's answers equal those strongSwan accepted`, async () => {
      const steps = readTrace(name);
      const peer = new MutualPbTnc({
        transport: 'server',
        mutual: true,
        client: new TestImc({ command: 'allow' }),
        server: new TestImv({ rounds: 0 }),
        maxBatchSize: 2097136,
      });
      const expected = expectedAnswers(steps);
      let i = 0;
      for (const s of steps) {
        if (s.dir !== 'in') continue;
        const out = (await peer.receive(s.batch))[0];
        let exp = expected[i];
        if (!mutual && i === 0 && exp) {
          // The captured peer echoed PB-Mutual-Capability unasked; strongSwan (and we) echo only an offer.
          const d = decodeBatch(exp);
          exp = encodeBatch({ ...d, messages: d.messages.filter((m) => m.kind !== 'mutual-capability') });
        }
        check((out && toHex(out)) === (exp && toHex(exp)), `answer ${i} differs`);
        i++;
      }
      check(peer.done && peer.mutual === mutual, 'sessions not finished as expected');
      check(peer.serverDecision?.recommendation === Recommendation.ACCESS_ALLOWED, 'our verdict on strongSwan');
      if (mutual)
        check(peer.clientResult?.recommendation === Recommendation.ACCESS_ALLOWED, "strongSwan's verdict on us");
      return `${i} answers equal`;
    });
  }

  // 3. Our hosted imc-test/imv-test reproduce strongSwan's side.
  for (const [name, ids] of Object.entries(STRONGSWAN_TRACE_IDS)) {
    await scenario(`trace ${name}: our hosted imc-test/imv-test send strongSwan's batches byte for byte`, async () => {
      const steps = readTrace(name);
      const side = createTncSide({
        transport: 'client',
        imcs: [createTestImc({ command: 'allow' })],
        imvs: [createTestImv({ rounds: 1 })],
        languagePreference: 'en',
        messageIds: idSequence(...ids),
        context: ctx(),
      });
      const sent = [(await side.pb.start())!];
      for (const s of steps) if (s.dir === 'out') sent.push(...(await side.pb.receive(s.batch)));
      const theirs = steps.filter((s) => s.dir === 'in').map((s) => toHex(s.batch));
      check(sent.length === theirs.length, `${sent.length} batches, strongSwan sent ${theirs.length}`);
      sent.forEach((b, k) => check(toHex(b) === theirs[k], `batch ${k} differs`));
      const o = side.outcome();
      check(o.done && o.mutual && o.assessedBy?.recommendation === Recommendation.ACCESS_ALLOWED, 'outcome');
      return `${sent.length} batches equal`;
    });
  }

  // 4a. In process.
  const pairs: [Pair, Verdict[]][] = [
    ['test', ['allow', 'isolate', 'block', 'retry']],
    ['os', ['allow', 'isolate', 'block']],
    ['test+os', ['allow', 'isolate', 'block', 'retry']],
  ];
  let seed = 1;
  for (const [pair, verdicts] of pairs) {
    for (const mutual of [false, true]) {
      for (const v of verdicts) {
        await scenario(`in process ${mutual ? 'mutual' : 'one-way'} ${pair}: ${v}`, async () => {
          const c = modules(pair, v);
          const s = modules(pair, v);
          const mk = (transport: 'client' | 'server', m: typeof c): TncSide =>
            createTncSide({
              transport,
              ...(transport === 'client' || mutual ? { imcs: m.imcs } : {}),
              ...(transport === 'server' || mutual ? { imvs: m.imvs } : {}),
              mutual,
              rng: seededRng(seed++),
              context: ctx(`${pair}-${v}-${transport}`),
            });
          const a = mk('client', c);
          const b = mk('server', s);
          const batches = await runInProcess(a, b);
          return `${verify('in process', a.outcome(), b.outcome(), mutual, want[v])}, ${batches} batches`;
        });
      }
    }
  }

  // 4b. Over PT-TLS.
  const pki = await makeTestPki();
  log(`test PKI ready (server name ${pki.serverName})`);
  const serverFor = async (
    pair: Pair,
    v: Verdict,
    mutual: boolean,
    tls: 'TLSv1.2' | 'TLSv1.3',
    limits?: Record<string, number>,
  ): Promise<{ server: AssessmentServer; ended: Promise<TncOutcome | undefined> }> => {
    const m = modules(pair, v);
    let resolve: (o: TncOutcome | undefined) => void = () => undefined;
    const ended = new Promise<TncOutcome | undefined>((r) => (resolve = r));
    const server = await startAssessmentServer({
      ...loopbackServer(pki),
      maxVersion: tls,
      minVersion: tls,
      imvs: m.imvs,
      ...(mutual ? { imcs: m.imcs } : {}),
      authenticate: (_z, u, p) => u === 'carol' && p === 'interop',
      ...(limits ? { limits } : {}),
      log: silentLogger,
      onAssessment: ({ outcome }) => resolve(outcome),
    });
    return { server, ended };
  };
  for (const [pair, verdicts] of pairs) {
    for (const mutual of [false, true]) {
      for (const v of verdicts) {
        const tls = mutual ? 'TLSv1.2' : 'TLSv1.3';
        const auth = mutual ? 'client certificate' : 'SASL PLAIN';
        await scenario(`PT-TLS ${tls} ${auth} ${mutual ? 'mutual' : 'one-way'} ${pair}: ${v}`, async () => {
          const { server, ended } = await serverFor(pair, v, mutual, tls);
          try {
            const m = modules(pair, v);
            const r = await ptTlsAssess({
              host: '127.0.0.1',
              port: server.port,
              ca: pki.ca,
              servername: pki.serverName,
              ...(mutual
                ? { cert: pki.client.cert, key: pki.client.key }
                : { identity: { authcid: 'carol', password: 'interop' } }),
              imcs: m.imcs,
              ...(mutual ? { imvs: m.imvs } : {}),
              mutual,
              log: silentLogger,
            });
            check(r.session.tlsVersion === tls, `TLS ${r.session.tlsVersion}`);
            const s = await ended;
            return `${verify('PT-TLS', r.outcome, s, mutual, want[v])}, ${r.session.batchesSent + r.session.batchesReceived} batches`;
          } finally {
            await server.close();
          }
        });
      }
    }
  }

  // 5. Bad input.
  await scenario('PT-TLS: a client that stalls after the TLS handshake is timed out', async () => {
    const { server, ended } = await serverFor('test', 'allow', false, 'TLSv1.3', { idleTimeoutMs: 200 });
    try {
      const sock = connect({ host: '127.0.0.1', port: server.port, ca: pki.ca, servername: pki.serverName });
      sock.on('error', () => undefined);
      const t0 = performance.now();
      await new Promise<void>((r) => sock.once('close', () => r()));
      const ms = Math.round(performance.now() - t0);
      check((await ended) === undefined, 'a PB-TNC outcome for a stalled session');
      check(ms < 3000, `closed after ${ms} ms`);
      return `closed by the server after ${ms} ms`;
    } finally {
      await server.close();
    }
  });

  await scenario('PT-TLS: a client that stalls mid-assessment is timed out', async () => {
    const { server, ended } = await serverFor('test', 'allow', false, 'TLSv1.3', { idleTimeoutMs: 200 });
    try {
      let got = 0;
      const first = createTncSide({ transport: 'client', imcs: [createTestImc({ command: 'allow' })], context: ctx() });
      const t0 = performance.now();
      const err = await ptTlsConnect({
        host: '127.0.0.1',
        port: server.port,
        ca: pki.ca,
        servername: pki.serverName,
        identity: { authcid: 'carol', password: 'interop' },
        endpoint: {
          first: () => first.pb.start(),
          receive: () => {
            got++;
            return []; // never answer: the server waits for our next CDATA
          },
          done: () => false,
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const ms = Math.round(performance.now() - t0);
      check(err !== undefined && got === 1, 'the stalled session did not fail');
      check((await ended)?.decision === undefined, 'a decision for a stalled session');
      return `server gave up after ${ms} ms with one batch sent`;
    } finally {
      await server.close();
    }
  });

  await scenario('PT-TLS: concurrent sessions beyond the limit are refused at accept', async () => {
    const { server } = await serverFor('test', 'allow', false, 'TLSv1.3', { maxSessions: 3, idleTimeoutMs: 3000 });
    try {
      const held = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<ReturnType<typeof connect>>((r) => {
              const s = connect({ host: '127.0.0.1', port: server.port, ca: pki.ca, servername: pki.serverName });
              s.on('error', () => undefined);
              s.once('secureConnect', () => r(s));
            }),
        ),
      );
      const refused = await ptTlsAssess({
        host: '127.0.0.1',
        port: server.port,
        ca: pki.ca,
        servername: pki.serverName,
        identity: { authcid: 'carol', password: 'interop' },
        imcs: [createTestImc({ command: 'allow' })],
        limits: { handshakeTimeoutMs: 2000 },
      }).then(
        () => false,
        () => true,
      );
      for (const s of held) s.destroy();
      check(refused, 'a fourth session was served');
      return '4th connection refused with 3 open';
    } finally {
      await server.close();
    }
  });

  await scenario('PT-TLS: a malformed PB-TNC batch is answered with CLOSE + PB-Error', async () => {
    const { server } = await serverFor('test', 'allow', false, 'TLSv1.3');
    try {
      let answer: Uint8Array | undefined;
      await ptTlsConnect({
        host: '127.0.0.1',
        port: server.port,
        ca: pki.ca,
        servername: pki.serverName,
        identity: { authcid: 'carol', password: 'interop' },
        endpoint: {
          // PB-TNC version 1 (not 2), CDATA, length 8
          first: () => new Uint8Array([1, 0, 0, 1, 0, 0, 0, 8]),
          receive: (b) => {
            answer = b;
            return [];
          },
          done: () => answer !== undefined,
        },
      });
      check(answer !== undefined, 'no answer');
      const d = decodeBatch(answer!);
      const e = d.messages.find((m) => m.kind === 'error');
      check(d.type === PbBatchType.CLOSE && e !== undefined, 'not a CLOSE with an error');
      check(e!.kind === 'error' && e!.code === PbErrorCode.VERSION_NOT_SUPPORTED, 'not version-not-supported');
      return 'CLOSE [PB-Error version not supported]';
    } finally {
      await server.close();
    }
  });
}
