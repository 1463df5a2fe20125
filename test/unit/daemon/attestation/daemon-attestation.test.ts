/**
 * Mutual attestation inside IKE_AUTH through two daemons configured from swanctl.conf files: EAP-only EAP-TTLS
 * with client certificates, PT-EAP carrying PB-TNC in mutual mode, the test collector and verifier on both sides.
 * Each side enforces its own verifiers' verdict: allow → CHILD_SA; isolate → CHILD_SA narrowed to the quarantine
 * selectors; no access → no IKE SA on either side.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../../src/daemon/daemon.ts';
import { controlRequest } from '../../../../src/daemon/control.ts';
import { createCa, issueCert, writeSwanctlDir, type Issued } from '../../../../src/daemon/pki/index.ts';
import type { SaInfo } from '../../../../src/ike/engine.ts';
import { isRoot, inCI } from '../../../support/env.ts';
import { attestedConf, type AttestedConf } from './attested-conf.ts';

function conf(o: Omit<AttestedConf, 'attestd'> & { command: string; isolate: string }): string {
  return attestedConf({
    ...o,
    attestd: [
      '  tnc {',
      '    imcs = test',
      '    imvs = test',
      `    isolate_ts = ${o.isolate}`,
      '  }',
      '  imc-test {',
      `    command = ${o.command}`,
      '  }',
    ],
  });
}

let ca: Issued;
const certs = new Map<string, Issued>();

async function pair(t: TestContext, commands: { a: string; b: string }, base: number) {
  ca ??= await createCa({ subject: 'C=CH, O=attestd test, CN=Attestation CA', keyType: 'ecdsa-p256' });
  for (const n of ['a', 'b']) {
    if (!certs.has(n))
      certs.set(
        n,
        await issueCert({
          ca,
          subject: `CN=${n}.example`,
          san: [`${n}.example`],
          keyType: 'ecdsa-p256',
          serverAuth: true,
          clientAuth: true,
        }),
      );
  }
  const dir = mkdtempSync(join(tmpdir(), 'attestd-att-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ip = (i: number) => `127.0.${base}.${i}`;
  const daemons: Daemon[] = [];
  for (const [i, n] of ['a', 'b'].entries()) {
    const other = n === 'a' ? 'b' : 'a';
    const d = join(dir, n);
    await writeSwanctlDir(d, { ca, host: certs.get(n)!, name: n });
    writeFileSync(
      join(d, 'swanctl.conf'),
      conf({
        me: ip(i + 1),
        peer: ip(2 - i),
        name: n,
        peerName: other,
        ts: `10.${i + 1}.0.0/24`,
        rts: `10.${2 - i}.0.0/24`,
        command: n === 'a' ? commands.a : commands.b,
        isolate: `10.${2 - i}.0.9/32`,
      }),
    );
    daemons.push(
      new Daemon({
        config: join(d, 'swanctl.conf'),
        control: join(dir, `${n}.sock`),
        dataPlane: 'none',
        logLevel: 'silent',
      }),
    );
  }
  for (const d of [...daemons].reverse()) await d.start();
  t.after(async () => {
    for (const d of daemons) await d.stop().catch(() => {});
  });
  const sock = (n: string) => join(dir, `${n}.sock`);
  return { sock };
}

function skipUnlessRoot(t: TestContext): boolean {
  if (isRoot()) return false;
  if (inCI) throw new Error('CI=true but not root');
  t.skip('needs root to bind port 500');
  return true;
}

test('both sides allow: the IKE SA and CHILD_SA come up, each side records its verdict', async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'allow', b: 'allow' }, 41);
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  assert.equal(sa.children.length, 1);
  assert.deepEqual(sa.children[0]!.remoteTs, ['10.2.0.0/24']);
  assert.equal(sa.authorization?.decision, 'allow');
  const b = ((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[])[0]!;
  assert.equal(b.authorization?.decision, 'allow');
  assert.ok(
    b.notes.some((n) => /attestation of the peer: allow/.test(n)),
    b.notes.join('\n'),
  );
});

test("isolate: the responder confines the initiator's CHILD_SA to the quarantine selectors", async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'isolate', b: 'allow' }, 42);
  const sa = (await controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
  assert.equal(sa.state, 'ESTABLISHED');
  const b = ((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[])[0]!;
  assert.equal(b.authorization?.decision, 'isolate');
  // B's remote selectors were 10.1.0.0/24; quarantine allows 10.1.0.9/32 only.
  assert.deepEqual(b.children[0]?.remoteTs, ['10.1.0.9/32']);
  assert.deepEqual(sa.children[0]?.localTs, ['10.1.0.9/32']);
});

test('no access from the responder: the initiator gets no IKE SA, and neither side keeps one', async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'block', b: 'allow' }, 43);
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /AUTHENTICATION_FAILED|24|EAP/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(sock('a'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
  assert.equal(((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
});

test('no access from the initiator: it refuses a responder its own verifiers block', async (t) => {
  if (skipUnlessRoot(t)) return;
  const { sock } = await pair(t, { a: 'allow', b: 'block' }, 44);
  await assert.rejects(controlRequest(sock('a'), { cmd: 'initiate', ike: 'attested' }), /refused the responder|24/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(sock('a'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
  assert.equal(((await controlRequest(sock('b'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
});
