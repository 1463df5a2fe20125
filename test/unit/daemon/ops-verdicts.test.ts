/**
 * `list-verdicts`: the daemon keeps the last 256 attestation verdicts from the `attest:verdict` channel, newest
 * first, and serves them over the control socket and `attestd list-verdicts`; the metrics endpoint counts them by
 * decision. The real case is the one `list-sas` cannot show: a peer refused for its posture, which has no SA.
 * Daemons on 127.0.81.1 and 127.0.81.2.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish } from '../../../src/common/diag.ts';
import { Daemon, VERDICT_HISTORY } from '../../../src/daemon/daemon.ts';
import { controlRequest, type VerdictInfo } from '../../../src/daemon/control.ts';
import type { SaInfo } from '../../../src/ike/engine.ts';
import { main } from '../../../src/cli/main.ts';
import { requires } from '../../support/env.ts';
import { startAttestedPair } from './attestation/attested-conf.ts';

const A = '127.0.81.1';
const B = '127.0.81.2';

function conf(): string {
  return `connections {
  gw {
    local_addrs = ${A}
    remote_addrs = ${B}
    local {
      auth = psk
      id = a.example
    }
    remote {
      auth = psk
      id = b.example
    }
    children {
      net {
        local_ts = ${A}/32
        remote_ts = ${B}/32
      }
    }
  }
}
secrets {
  ike-gw {
    id-1 = a.example
    id-2 = b.example
    secret = "verdicts test secret"
  }
}
attestd {
  metrics {
    listen = ${A}:0
  }
}
`;
}

async function counted(d: Daemon, decision: string): Promise<number> {
  const text = await (await fetch(`http://${A}:${d.metricsAddress!.port}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`attestd_attestation_verdicts_total{decision="${decision}"} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Runs `attestd …` in-process and returns what it printed. */
async function cli(t: TestContext, argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const log = t.mock.method(console, 'log', (...args: unknown[]) => void out.push(args.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n') };
  } finally {
    log.mock.restore();
  }
}

test('published verdicts: newest first, bounded, filtered, counted, and printed by attestd list-verdicts', async (t) => {
  if (!requires(t, { root: true })) return;
  const dir = mkdtempSync(join(tmpdir(), 'attestd-verdicts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'swanctl.conf'), conf());
  const sock = join(dir, 'a.sock');
  const d = new Daemon({ config: join(dir, 'swanctl.conf'), control: sock, dataPlane: 'none', logLevel: 'silent' });
  await d.start();
  t.after(() => d.stop().catch(() => {}));

  assert.deepEqual(await controlRequest(sock, { cmd: 'list-verdicts' }), []);
  assert.equal((await cli(t, ['list-verdicts', '--control', sock])).out, 'no attestation verdicts');

  const t0 = Date.now();
  const total = VERDICT_HISTORY + 44;
  for (let i = 1; i <= total; i++) {
    publish('attest:verdict', {
      connection: i % 2 ? 'odd' : 'even',
      ike: `${i % 2 ? 'odd' : 'even'}[${i}]`,
      peerId: `peer${i}.example`,
      remote: `192.0.2.${i % 250}:4500`,
      decision: i === total ? 'no access' : i === total - 1 ? 'isolate' : 'allow',
      reasons: i === total ? ['IMV test: blocked', 'file /usr/bin/sh: digest mismatch'] : [],
    });
  }
  const all = (await controlRequest(sock, { cmd: 'list-verdicts' })) as VerdictInfo[];
  assert.equal(all.length, VERDICT_HISTORY, 'the ring keeps the most recent ones only');
  assert.deepEqual(
    all.map((v) => Number(/\[(\d+)\]/.exec(v.ike)![1])),
    Array.from({ length: VERDICT_HISTORY }, (_, k) => total - k),
    'newest first',
  );
  const newest = all[0]!;
  assert.deepEqual(
    { ...newest, time: '' },
    {
      time: '',
      connection: 'even',
      ike: `even[${total}]`,
      peerId: `peer${total}.example`,
      remote: `192.0.2.${total % 250}:4500`,
      decision: 'no access',
      reasons: ['IMV test: blocked', 'file /usr/bin/sh: digest mismatch'],
    },
  );
  assert.match(newest.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Date.parse(newest.time) >= t0 - 1000 && Date.parse(newest.time) <= Date.now());

  const odd = (await controlRequest(sock, { cmd: 'list-verdicts', ike: 'odd', limit: 3 })) as VerdictInfo[];
  assert.deepEqual(
    odd.map((v) => v.ike),
    [`odd[${total - 1}]`, `odd[${total - 3}]`, `odd[${total - 5}]`],
  );
  await assert.rejects(controlRequest(sock, { cmd: 'list-verdicts', limit: -1 }), /limit must be a non-negative/);

  assert.equal(await counted(d, 'no access'), 1);
  assert.equal(await counted(d, 'isolate'), 1);
  assert.equal(await counted(d, 'allow'), total - 2, 'the counter is not bounded by the ring');

  const text = await cli(t, ['list-verdicts', '--control', sock, '--limit', '2']);
  assert.equal(text.code, 0);
  assert.deepEqual(text.out.split('\n'), [
    `${newest.time} even[${total}]: no access, peer 'peer${total}.example' @ 192.0.2.${total % 250}:4500`,
    '  IMV test: blocked',
    '  file /usr/bin/sh: digest mismatch',
    `${all[1]!.time} odd[${total - 1}]: isolate, peer 'peer${total - 1}.example' @ 192.0.2.${(total - 1) % 250}:4500`,
  ]);
  const json = await cli(t, ['list-verdicts', '--control', sock, '--json', '--ike', 'even', '--limit', '1']);
  assert.deepEqual(JSON.parse(json.out), [newest]);
  const bad = await cli(t, ['list-verdicts', '--control', sock, '--limit', 'many']);
  assert.equal(bad.code, 1);
});

/** attestd lines: the test collector and verifier, the collector asking the peer's verifier for `command`. */
const tnc = (command: string, metrics?: string) => [
  '  tnc {',
  '    imcs = test',
  '    imvs = test',
  '  }',
  '  imc-test {',
  `    command = ${command}`,
  '  }',
  ...(metrics ? ['  metrics {', `    listen = ${metrics}`, '  }'] : []),
];

test('a peer refused for its posture has no SA, and list-verdicts on the refusing side says why', async (t) => {
  if (!requires(t, { root: true })) return;
  // a's collector tells b's verifier to block it; b's collector asks for allow.
  const { sock } = await startAttestedPair(t, {
    base: 81,
    attestd: { a: tnc('block', `${A}:9464`), b: tnc('allow', `${B}:9464`) },
  });
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /AUTHENTICATION_FAILED|24|EAP/);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[], [], 'no SA to look at');

  const onB = (await controlRequest(sock('b'), { cmd: 'list-verdicts' })) as VerdictInfo[];
  assert.equal(onB.length, 1, JSON.stringify(onB));
  const v = onB[0]!;
  assert.equal(v.decision, 'no access');
  assert.equal(v.connection, 'attested');
  assert.equal(v.peerId, 'a.example');
  assert.equal(v.remote, `${A}:500`);
  assert.match(v.ike, /^attested\[\d+\]$/);
  assert.ok(v.reasons.length > 0, 'the verifier says why');
  // a's verifiers had allowed b before b refused a: a's verdict, on record on a only.
  const onA = (await controlRequest(sock('a'), { cmd: 'list-verdicts' })) as VerdictInfo[];
  assert.ok(
    onA.every((x) => x.peerId === 'b.example' && x.decision === 'allow'),
    JSON.stringify(onA),
  );
  const scrape = async (at: string, decision: string) => {
    const text = await (await fetch(`http://${at}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`attestd_attestation_verdicts_total{decision="${decision}"} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  assert.equal(await scrape(`${B}:9464`, 'no access'), 1);
  assert.equal(await scrape(`${B}:9464`, 'allow'), 0);
  assert.equal(await scrape(`${A}:9464`, 'no access'), 0);
  assert.equal(await scrape(`${A}:9464`, 'allow'), onA.length);
});

test('the initiator refusing a responder for its posture is on record on the initiator', async (t) => {
  if (!requires(t, { root: true })) return;
  const { sock } = await startAttestedPair(t, { base: 81, attestd: { a: tnc('allow'), b: tnc('block') } });
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /refused the responder|24/);
  assert.deepEqual((await controlRequest(sock('a'), { cmd: 'list-sas' })) as SaInfo[], []);
  const onA = (await controlRequest(sock('a'), { cmd: 'list-verdicts' })) as VerdictInfo[];
  assert.deepEqual(
    onA.map((v) => [v.connection, v.peerId, v.remote, v.decision]),
    [['attested', 'b.example', `${B}:500`, 'no access']],
  );
  assert.ok(
    onA[0]!.reasons.some((r) => /block/.test(r)),
    onA[0]!.reasons.join('; '),
  );
  // b allowed a with EAP-Success and then got no AUTH: whatever b records is about a, never a's verdict on b.
  const onB = (await controlRequest(sock('b'), { cmd: 'list-verdicts' })) as VerdictInfo[];
  assert.ok(
    onB.every((v) => v.peerId === 'a.example' && v.decision === 'allow'),
    JSON.stringify(onB),
  );
});
