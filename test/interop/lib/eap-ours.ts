/**
 * EAP interop, ours with ours: two of our daemons (in-process), each with its own swtpm device, attest each other
 * in IKE_AUTH (EAP-only EAP-TTLS, PT-EAP carrying mutual PB-TNC, the `attest` collector and verifier on both sides).
 *
 *   A (initiator, EAP peer, 127.0.<base>.1)              B (responder, EAP server, 127.0.<base>.2)
 *   IKE_SA_INIT, IKE_AUTH {IDi, N(EAP_ONLY), SA, TS} →
 *                                                  ←     EAP Request/Identity, EAP-TTLS (TLS 1.2 or 1.3) …
 *   PT-EAP: PB-TNC both ways — B's verifier measures A's files, IMA log, firmware log under a quote of PCRs 0,7,10
 *   of A's swtpm; A's verifier does the same to B                                    …
 *                                                  ←     EAP-Success (allow/isolate) | EAP-Failure (no access)
 *   AUTH from the MSK, both verdicts enforced        →  ←  AUTH, SA, TS (narrowed to isolate_ts when B isolates A)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlRequest } from '../../../src/daemon/control.ts';
import type { SaInfo } from '../../../src/ike/engine.ts';
import type { Device } from '../../support/attest-device.ts';
import type { AttestedPair } from '../../unit/daemon/attestation/attested-conf.ts';
import { authRounds, listSas, mutualAttestd, short, waitNoSas, withPair } from './eap-attested.ts';
import type { Observed, Verdict } from './eap-attested.ts';

export interface Devices {
  a: Device;
  b: Device;
}

const PEER = (pair: AttestedPair, n: 'a' | 'b') => `${pair.addr(n)}:500`;

function verdictOn(o: Observed, pair: AttestedPair, subject: 'a' | 'b'): Verdict {
  // The verdict on `subject` is published by the other daemon, whose remote is `subject`.
  const v = o.verdicts.filter((x) => x.remote === PEER(pair, subject));
  if (v.length !== 1)
    throw new Error(`expected one verdict on ${subject}, got ${v.length}: ${JSON.stringify(o.verdicts)}`);
  return v[0]!;
}

function tlsVersion(o: Observed): string {
  const m = o.log.map((l) => /EAP-TTLS tunnel up \((TLSv1\.[23])\)/.exec(l)?.[1]).find(Boolean);
  if (!m) throw new Error(`no "EAP-TTLS tunnel up" in the daemons' log:\n${o.log.slice(-30).join('\n')}`);
  return m;
}

/** Both IKE SAs established with one CHILD_SA each, installed with matching SPIs; returns them. */
async function established(pair: AttestedPair, a: SaInfo): Promise<{ a: SaInfo; b: SaInfo }> {
  if (a.state !== 'ESTABLISHED') throw new Error(`A's IKE SA is ${a.state}`);
  const bs = await listSas(pair, 'b');
  const b = bs.find((s) => s.state === 'ESTABLISHED');
  if (!b) throw new Error(`B has no established IKE SA: ${JSON.stringify(bs)}`);
  const ca = a.children[0];
  const cb = b.children[0];
  if (a.children.length !== 1 || b.children.length !== 1 || !ca || !cb)
    throw new Error(`CHILD_SAs: A ${a.children.length}, B ${b.children.length}`);
  if (ca.state !== 'INSTALLED' || cb.state !== 'INSTALLED')
    throw new Error(`CHILD_SA states: A ${ca.state}, B ${cb.state}`);
  if (ca.spiIn !== cb.spiOut || ca.spiOut !== cb.spiIn)
    throw new Error(`SPIs do not pair: A in/out ${ca.spiIn}/${ca.spiOut}, B ${cb.spiIn}/${cb.spiOut}`);
  return { a, b };
}

/** Scenario 1 / 4: full mutual attestation with `tls` as both daemons' tls_max. */
export async function mutualAllowed(devices: Devices, base: number, tls: '1.2' | '1.3'): Promise<string> {
  const { a: devA, b: devB } = devices;
  return withPair(
    {
      base,
      tlsMax: tls,
      logLevel: 'info',
      attestd: { a: mutualAttestd(devA, devB), b: mutualAttestd(devB, devA) },
    },
    async (pair, o) => {
      const sa = (await controlRequest(pair.sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
      const { a, b } = await established(pair, sa);
      const onA = verdictOn(o, pair, 'a');
      const onB = verdictOn(o, pair, 'b');
      if (onA.decision !== 'allow' || onB.decision !== 'allow')
        throw new Error(
          `verdicts: B on A ${onA.decision} (${short(onA.reasons)}), A on B ${onB.decision} (${short(onB.reasons)})`,
        );
      if (onA.peerId !== 'a.example' || onB.peerId !== 'b.example')
        throw new Error(`verdict peer ids: ${onA.peerId}, ${onB.peerId}`);
      const version = tlsVersion(o);
      const want = tls === '1.3' ? 'TLSv1.3' : 'TLSv1.2';
      if (version !== want) throw new Error(`the tunnel ran ${version}, expected ${want}`);
      if (a.authorization?.decision !== 'allow' || b.authorization?.decision !== 'allow')
        throw new Error(`authorization: A ${a.authorization?.decision}, B ${b.authorization?.decision}`);
      const ptsOk = o.pts.filter((p) => p.ok).length;
      if (ptsOk < 2) throw new Error(`PTS verdicts: ${JSON.stringify(o.pts)}`);
      const rounds = authRounds(o, PEER(pair, 'a'));
      return (
        `${version}; B on A: ${onA.decision}, A on B: ${onB.decision} (PTS ok ${ptsOk}/${o.pts.length}); ` +
        `${rounds} IKE_AUTH round trips; CHILD_SA ${a.children[0]!.localTs.join(',')} === ` +
        `${a.children[0]!.remoteTs.join(',')} installed on both (SPIs ${a.children[0]!.spiIn}/${b.children[0]!.spiIn})`
      );
    },
  );
}

/** Scenario 2: a file of A's tree changed after B's reference measurement: B refuses A and names the file. */
export async function changedBinary(devices: Devices, base: number): Promise<string> {
  const { a: devA, b: devB } = devices;
  const victim = join(devA.bin, 'cat');
  writeFileSync(victim, 'ELF cat v2 (trojaned)');
  try {
    return await withPair(
      { base, attestd: { a: mutualAttestd(devA, devB), b: mutualAttestd(devB, devA) } },
      async (pair, o) => {
        const outcome = await controlRequest(pair.sock('a'), { cmd: 'initiate', ike: 'attested' }).then(
          (sa) => ({ up: true as const, state: (sa as SaInfo).state }),
          (e: unknown) => ({ up: false as const, err: e instanceof Error ? e.message : String(e) }),
        );
        if (outcome.up) throw new Error(`A's IKE SA came up (${outcome.state}) although its tree changed`);
        const err = outcome.err;
        if (!/AUTHENTICATION_FAILED|\b24\b/.test(err))
          throw new Error(`A's initiate failed, but not with AUTHENTICATION_FAILED: ${err}`);
        await waitNoSas(pair, 'b', 3000);
        await waitNoSas(pair, 'a', 3000);
        const ptsOnA = o.pts.filter((p) => !p.ok);
        const onA = o.verdicts.filter((x) => x.remote === PEER(pair, 'a'));
        if (onA.length !== 1)
          throw new Error(
            `B published ${onA.length} 'attest:verdict' on A (PTS verifier reasons: ${short(ptsOnA.flatMap((p) => p.reasons))})`,
          );
        const v = onA[0]!;
        if (v.decision !== 'no access') throw new Error(`B's verdict on A: ${v.decision}`);
        if (!v.reasons.some((r) => r.includes(victim)))
          throw new Error(`B's reasons do not name ${victim}: ${short(v.reasons)}`);
        if (v.reasons.some((r) => r.includes(join(devA.bin, 'ls'))))
          throw new Error(`B names an unchanged file: ${short(v.reasons)}`);
        return `A: ${err.split('\n')[0]!.slice(0, 80)}; B on A: ${v.decision} (${short(v.reasons, 100)}); no IKE SA on either side`;
      },
    );
  } finally {
    writeFileSync(victim, devA.files.cat!);
  }
}

/** Scenario 3: B's verifiers isolate A (attest allows, the test IMV isolates): CHILD_SA narrowed to isolate_ts. */
export async function isolated(devices: Devices, base: number): Promise<string> {
  const { a: devA, b: devB } = devices;
  const isolateTs = '10.1.0.16/28';
  return withPair(
    {
      base,
      attestd: {
        a: mutualAttestd(devA, devB, { imcs: ['attest', 'test'], imcTest: 'isolate' }),
        b: mutualAttestd(devB, devA, { imvs: ['attest', 'test'], isolateTs }),
      },
    },
    async (pair, o) => {
      const sa = (await controlRequest(pair.sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
      const { a, b } = await established(pair, sa);
      const onA = verdictOn(o, pair, 'a');
      const onB = verdictOn(o, pair, 'b');
      if (onA.decision !== 'isolate') throw new Error(`B's verdict on A: ${onA.decision} (${short(onA.reasons)})`);
      if (onB.decision !== 'allow') throw new Error(`A's verdict on B: ${onB.decision} (${short(onB.reasons)})`);
      const ca = a.children[0]!;
      const cb = b.children[0]!;
      const want = { aLocal: [isolateTs], aRemote: ['10.2.0.0/24'], bLocal: ['10.2.0.0/24'], bRemote: [isolateTs] };
      const got = { aLocal: ca.localTs, aRemote: ca.remoteTs, bLocal: cb.localTs, bRemote: cb.remoteTs };
      if (JSON.stringify(got) !== JSON.stringify(want))
        throw new Error(`installed selectors ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      if (b.authorization?.decision !== 'isolate') throw new Error(`B's authorization: ${b.authorization?.decision}`);
      return (
        `B on A: isolate (${short(onA.reasons, 80)}), A on B: allow; CHILD_SA installed as ` +
        `A ${ca.localTs.join(',')} === ${ca.remoteTs.join(',')}, B ${cb.localTs.join(',')} === ${cb.remoteTs.join(',')} ` +
        `(configured 10.1.0.0/24, isolate_ts ${isolateTs})`
      );
    },
  );
}
