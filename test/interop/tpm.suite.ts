/**
 * `npm run interop -- tpm`: our TPM client against tpm2-tools 5.x, both on one freshly manufactured swtpm.
 * swtpm serves one TCP connection at a time and has no resource manager, so our transport connects per command
 * and transient objects the tools leave behind are flushed after each tool run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Reader, concat, equal, fromHex, toHex } from '../../src/common/bytes.ts';
import { startSwtpm } from '../support/swtpm.ts';
import { SwtpmTransport } from '../../src/tpm/transport/swtpm.ts';
import { Tpm, passwordAuth } from '../../src/tpm/client.ts';
import { KEY_SCHEME, createAik } from '../../src/tpm/aik.ts';
import { withEk } from '../../src/tpm/ek.ts';
import { makeCredential } from '../../src/tpm/credential.ts';
import { objectName } from '../../src/tpm/keys.ts';
import { marshal, unmarshal } from '../../src/tpm/marshal.ts';
import { pcrSelectBytes } from '../../src/tpm/types/basic.ts';
import { TPM2B_ENCRYPTED_SECRET, TPM2B_ID_OBJECT, TPM2B_PUBLIC } from '../../src/tpm/types/public.ts';
import { TPMT_SIGNATURE } from '../../src/tpm/types/signature.ts';
import { TPM_ALG } from '../../src/tpm/types/constants.ts';
import { verifyQuote } from '../../src/tpm/verify-quote.ts';
import { spkiDer } from '../../src/tpm/keys.ts';
import { checkQuoteReplay } from '../../src/tpm/verify-quote.ts';
import type { ExpectedBank } from '../../src/tpm/verify-quote.ts';
import { buildImaLog, bootAggregateEntry } from '../../src/measure/ima-builder.ts';
import { bootAggregate, encodeImaBinary, parseImaBinary } from '../../src/measure/ima.ts';
import type { ImaEntry } from '../../src/measure/ima.ts';
import { buildEventLog, separator } from '../../src/measure/eventlog-builder.ts';
import { EventType, encodeEventLog, parseEventLog } from '../../src/measure/eventlog.ts';
import { eventLogExtends, imaExtends, replayEventLog, verifyImaList } from '../../src/measure/replay.ts';
import type { PcrExtend } from '../../src/measure/replay.ts';

type Ctx = { scenario: (name: string, fn: () => Promise<string | void>) => Promise<boolean>; log: (s: string) => void };

export async function run({ scenario, log }: Ctx): Promise<void> {
  const sw = await startSwtpm();
  const dir = mkdtempSync(join(tmpdir(), 'attestd-tpm-interop-'));
  const transport = new SwtpmTransport({ port: sw.port, ctrlPort: sw.ctrlPort, keepAlive: false });
  const tpm = new Tpm(transport);
  const f = (n: string) => join(dir, n);
  const tool = (name: string, ...args: string[]): string => {
    const r = spawnSync(name, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti } });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  };
  // tpm2-tools leave objects and sessions loaded when no resource manager runs; flush them after each use.
  const flushAll = () => {
    for (const flag of ['-t', '-l'])
      spawnSync('tpm2_flushcontext', [flag], { env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti } });
  };
  const pcrList = [0, 1, 2, 3, 16];
  try {
    log(`swtpm on ${sw.tcti}, work dir ${dir}`);
    await tpm.pcrEvent(16, new TextEncoder().encode('attestd interop'));

    await scenario('EK public key equals the one tpm2_createek derives (RSA and ECC)', async () => {
      const out: string[] = [];
      for (const type of ['rsa', 'ecc'] as const) {
        tool('tpm2_createek', '-c', f(`ek-${type}.ctx`), '-G', type, '-u', f(`ek-${type}.pub`));
        flushAll();
        const theirs = unmarshal(TPM2B_PUBLIC, readFileSync(f(`ek-${type}.pub`)));
        const ours = await withEk(tpm, type, async (ek) => ek);
        if (!equal(objectName(theirs), ours.name))
          throw new Error(`${type} EK names differ: ${toHex(objectName(theirs))} vs ${toHex(ours.name)}`);
        if (!equal(spkiDer(theirs), spkiDer(ours.public))) throw new Error(`${type} EK keys differ`);
        out.push(`${type} ${toHex(ours.name).slice(0, 16)}…`);
      }
      return out.join(', ');
    });

    await scenario('our quote verifies with tpm2_checkquote', async () => {
      const aik = await createAik(tpm, { replace: true });
      const nonce = await tpm.getRandom(20);
      const q = await tpm.quote(
        aik.handle,
        nonce,
        [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes(pcrList) }],
        KEY_SCHEME,
      );
      const values = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: pcrList }])).banks.get(TPM_ALG.SHA256)!;
      writeFileSync(f('our.msg'), q.quoted);
      writeFileSync(f('our.sig'), marshal(TPMT_SIGNATURE, q.signature));
      writeFileSync(f('our-ak.pub'), marshal(TPM2B_PUBLIC, aik.public));
      writeFileSync(f('our.pcrs'), concat(...pcrList.map((i) => values.get(i)!)));
      tool(
        'tpm2_checkquote',
        '-u',
        f('our-ak.pub'),
        '-m',
        f('our.msg'),
        '-s',
        f('our.sig'),
        '-f',
        f('our.pcrs'),
        '-l',
        `sha256:${pcrList.join(',')}`,
        '-g',
        'sha256',
        '-q',
        toHex(nonce),
      );
      // And a tampered nonce must fail there too.
      const bad = spawnSync(
        'tpm2_checkquote',
        ['-u', f('our-ak.pub'), '-m', f('our.msg'), '-s', f('our.sig'), '-g', 'sha256', '-q', '00'],
        { env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti } },
      );
      if (bad.status === 0) throw new Error('tpm2_checkquote accepted a wrong nonce');
      return `ECDSA P-256 AIK 0x${aik.handle.toString(16)}, PCRs sha256:${pcrList.join(',')}`;
    });

    await scenario('a quote made by tpm2_quote verifies with ours', async () => {
      tool('tpm2_createek', '-c', f('ek.ctx'), '-G', 'rsa', '-u', f('ek.pub'));
      flushAll();
      tool(
        'tpm2_createak',
        '-C',
        f('ek.ctx'),
        '-c',
        f('ak.ctx'),
        '-G',
        'ecc',
        '-g',
        'sha256',
        '-s',
        'ecdsa',
        '-u',
        f('ak.pub'),
        '-n',
        f('ak.name'),
      );
      flushAll();
      const nonce = '0badc0ffee0123456789';
      tool(
        'tpm2_quote',
        '-c',
        f('ak.ctx'),
        '-l',
        `sha256:${pcrList.join(',')}`,
        '-q',
        nonce,
        '-m',
        f('t.msg'),
        '-s',
        f('t.sig'),
        '-o',
        f('t.pcrs'),
        '-g',
        'sha256',
      );
      flushAll();
      const akPub = unmarshal(TPM2B_PUBLIC, readFileSync(f('ak.pub')));
      if (!equal(objectName(akPub), readFileSync(f('ak.name'))))
        throw new Error('tpm2_createak name differs from our Name computation');
      const values = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: pcrList }])).banks.get(TPM_ALG.SHA256)!;
      const a = verifyQuote({
        quoted: readFileSync(f('t.msg')),
        signature: readFileSync(f('t.sig')),
        aik: akPub,
        nonce: fromHex(nonce),
        pcrs: [{ hash: TPM_ALG.SHA256, values }],
      });
      return `clock ${a.clockInfo.clock}, resetCount ${a.clockInfo.resetCount}`;
    });

    await scenario('our MakeCredential is activated by tpm2_activatecredential (RSA EK)', async () => {
      const ekPub = unmarshal(TPM2B_PUBLIC, readFileSync(f('ek.pub')));
      const akName = readFileSync(f('ak.name'));
      const secret = createHash('sha256').update('interop secret').digest();
      const c = makeCredential(ekPub, akName, secret);
      // tpm2-tools credential file: magic 0xBADCC0DE ‖ version 1 ‖ TPM2B_ID_OBJECT ‖ TPM2B_ENCRYPTED_SECRET.
      writeFileSync(
        f('ours.cred'),
        concat(
          fromHex('badcc0de00000001'),
          marshal(TPM2B_ID_OBJECT, c.credentialBlob),
          marshal(TPM2B_ENCRYPTED_SECRET, c.secret),
        ),
      );
      tool('tpm2_startauthsession', '--policy-session', '-S', f('session.ctx'));
      tool('tpm2_policysecret', '-S', f('session.ctx'), '-c', 'e');
      tool(
        'tpm2_activatecredential',
        '-c',
        f('ak.ctx'),
        '-C',
        f('ek.ctx'),
        '-i',
        f('ours.cred'),
        '-o',
        f('ours.act'),
        '-P',
        `session:${f('session.ctx')}`,
      );
      spawnSync('tpm2_flushcontext', [f('session.ctx')], { env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti } });
      flushAll();
      const got = readFileSync(f('ours.act'));
      if (!equal(got, secret)) throw new Error(`activated ${toHex(got)}, expected ${toHex(secret)}`);
      return 'secret recovered by tpm2-tools';
    });

    await scenario(
      'credential activation round-trips on the TPM: our MakeCredential → our ActivateCredential (RSA and ECC EK)',
      async () => {
        const aik = await createAik(tpm, { replace: true });
        const out: string[] = [];
        for (const type of ['rsa', 'ecc'] as const) {
          const secret = await tpm.getRandom(32);
          const got = await withEk(tpm, type, async (ek) => {
            const c = makeCredential(ek.public, aik.name, secret);
            return tpm.withEkPolicy((a) =>
              tpm.activateCredential(aik.handle, ek.handle, c.credentialBlob, c.secret, [passwordAuth(), a]),
            );
          });
          if (!equal(got, secret)) throw new Error(`${type}: activated ${toHex(got)}`);
          out.push(type);
        }
        return out.join(' + ');
      },
    );

    await scenario('tpm2_makecredential output is activated by us', async () => {
      const aik = await createAik(tpm, { replace: true });
      writeFileSync(f('tools.secret'), 'secret from tpm2_makecredential!');
      const ekPub = await withEk(tpm, 'rsa', async (ek) => ek.public);
      writeFileSync(f('our-ek.pub'), marshal(TPM2B_PUBLIC, ekPub));
      tool(
        'tpm2_makecredential',
        '-T',
        'none',
        '-e',
        f('our-ek.pub'),
        '-s',
        f('tools.secret'),
        '-n',
        toHex(aik.name),
        '-o',
        f('tools.cred'),
      );
      const r = new Reader(readFileSync(f('tools.cred')), 'tpm2-tools credential');
      if (r.u32('magic') !== 0xbadcc0de || r.u32('version') !== 1)
        throw new Error('unexpected tpm2_makecredential file header');
      const blob = TPM2B_ID_OBJECT.decode(r, 'credentialBlob', {});
      const secret = TPM2B_ENCRYPTED_SECRET.decode(r, 'secret', {});
      r.end();
      const got = await withEk(tpm, 'rsa', (ek) =>
        tpm.withEkPolicy((a) => tpm.activateCredential(aik.handle, ek.handle, blob, secret, [passwordAuth(), a])),
      );
      if (new TextDecoder().decode(got) !== 'secret from tpm2_makecredential!')
        throw new Error(`activated ${toHex(got)}`);
      return `${got.byteLength}-byte secret`;
    });

    await scenario('PCR_Extend by us matches tpm2_pcrread, and tpm2_pcrextend matches our PCR_Read', async () => {
      const d = createHash('sha256').update('extend me').digest();
      const before = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [23] }])).banks.get(TPM_ALG.SHA256)!.get(23)!;
      await tpm.pcrExtend(23, [
        { hashAlg: TPM_ALG.SHA256, digest: d },
        { hashAlg: TPM_ALG.SHA1, digest: createHash('sha1').update('extend me').digest() },
      ]);
      tool('tpm2_pcrread', 'sha256:23', '-o', f('pcr23.bin'));
      const theirs = readFileSync(f('pcr23.bin'));
      const expect = createHash('sha256').update(concat(before, d)).digest();
      if (!equal(theirs, expect)) throw new Error(`tpm2_pcrread ${toHex(theirs)} ≠ H(old ‖ d) ${toHex(expect)}`);
      const d2 = createHash('sha256').update('tools extend').digest('hex');
      tool('tpm2_pcrextend', `23:sha256=${d2}`);
      const ours = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: [23] }])).banks.get(TPM_ALG.SHA256)!.get(23)!;
      const expect2 = createHash('sha256')
        .update(concat(expect, fromHex(d2)))
        .digest();
      if (!equal(ours, expect2)) throw new Error(`our PCR_Read ${toHex(ours)} after tpm2_pcrextend`);
      return `PCR 23 = ${toHex(ours).slice(0, 16)}…`;
    });

    await scenario('IMA and event-log replay match a quote over the same PCRs (ours and tpm2_quote)', async () => {
      const enc = (s: string) => new TextEncoder().encode(s);
      // A firmware log (PCRs 0–7, both banks) and, after it, an IMA list whose boot_aggregate covers PCRs 0–9.
      const firmware = buildEventLog(
        [
          { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: enc('attestd-interop-crtm 1.0') },
          { pcr: 0, type: EventType.EV_POST_CODE, data: enc('POST CODE'), hashed: enc('firmware volume 0') },
          { pcr: 1, type: EventType.EV_PLATFORM_CONFIG_FLAGS, data: enc('config flags') },
          { pcr: 2, type: EventType.EV_EFI_BOOT_SERVICES_DRIVER, data: enc('option ROM'), hashed: enc('rom image') },
          { pcr: 4, type: EventType.EV_EFI_BOOT_SERVICES_APPLICATION, data: enc('shim'), hashed: enc('shimx64.efi') },
          { pcr: 4, type: EventType.EV_EFI_BOOT_SERVICES_APPLICATION, data: enc('grub'), hashed: enc('grubx64.efi') },
          { pcr: 7, type: EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data: enc('SecureBoot=1') },
          ...[0, 1, 2, 3, 4, 5, 6, 7].map(separator),
        ],
        { banks: ['sha1', 'sha256'] },
      );
      const eventLog = parseEventLog(encodeEventLog(firmware));
      const boot = replayEventLog(eventLog, 'sha256');
      const files = ['/usr/bin/bash', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/etc/ld.so.cache', '/usr/sbin/charon'];
      const ima: ImaEntry[] = [
        bootAggregateEntry(bootAggregate(boot, 'sha256'), 'sha256', { templateHashAlg: 'sha256' }),
        ...buildImaLog(
          [
            ...files.map((path) => ({ path, digest: createHash('sha256').update(path).digest() })),
            { path: '/var/log/open-writers', digest: new Uint8Array(32), violation: true },
          ],
          { templateHashAlg: 'sha256' },
        ),
      ];
      const imaBytes = encodeImaBinary(ima);

      // Extend swtpm's PCRs as firmware and the kernel would: each event in both banks, in log order.
      const both = async (sha1: PcrExtend[], sha256: PcrExtend[]) => {
        for (const [i, e] of sha256.entries())
          await tpm.pcrExtend(e.pcr, [
            { hashAlg: TPM_ALG.SHA1, digest: sha1[i]!.digest },
            { hashAlg: TPM_ALG.SHA256, digest: e.digest },
          ]);
      };
      await both(eventLogExtends(firmware, 'sha1'), eventLogExtends(firmware, 'sha256'));
      await both(imaExtends(ima, 'sha1'), imaExtends(ima, 'sha256'));

      // The verifier's side: parse the logs, check every template hash, replay into the sha256 bank.
      // Every PCR the logs extend (separators aside). tpm2_checkquote 5.4 rejects a raw PCR-values file of 8 or more
      // PCRs ("Failed to hash PCR values related to quote"), so the selection stays below that.
      const quoted = [0, 1, 2, 4, 7, 10];
      const replay = (imaList: Uint8Array, log = eventLog): ExpectedBank => {
        const v = verifyImaList(parseImaBinary(imaList, { templateHashAlg: 'sha256' }), {
          bank: 'sha256',
          templateHashAlg: 'sha256',
        });
        if (v.mismatches.length) throw new Error(`template hash mismatch at entry ${v.mismatches[0]!.index}`);
        const fw = replayEventLog(log, 'sha256');
        const values = new Map(quoted.map((i) => [i, i === 10 ? v.pcrs.get(10)! : fw.get(i)!]));
        return { hash: TPM_ALG.SHA256, values };
      };
      const replayed = replay(imaBytes);

      // Two quotes over the same PCRs: ours, and tpm2_quote's with the same persisted AIK.
      const aik = await createAik(tpm, { replace: true });
      writeFileSync(f('replay-ak.pub'), marshal(TPM2B_PUBLIC, aik.public));
      const sel = `sha256:${quoted.join(',')}`;
      const nonce = await tpm.getRandom(20);
      const ours = await tpm.quote(
        aik.handle,
        nonce,
        [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes(quoted) }],
        KEY_SCHEME,
      );
      const reportedOurs = (await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs: quoted }])).banks.get(TPM_ALG.SHA256)!;
      writeFileSync(f('replay-ours.msg'), ours.quoted);
      writeFileSync(f('replay-ours.sig'), marshal(TPMT_SIGNATURE, ours.signature));
      const toolNonce = toHex(await tpm.getRandom(20));
      tool(
        'tpm2_quote',
        '-c',
        `0x${aik.handle.toString(16)}`,
        '-l',
        sel,
        '-q',
        toolNonce,
        '-m',
        f('replay-t.msg'),
        '-s',
        f('replay-t.sig'),
        '-g',
        'sha256',
      );
      tool('tpm2_pcrread', sel, '-o', f('replay-t.read'));
      flushAll();
      const raw = readFileSync(f('replay-t.read'));
      if (raw.byteLength !== 32 * quoted.length) throw new Error(`tpm2_pcrread wrote ${raw.byteLength} bytes`);
      const reportedTools = new Map(quoted.map((p, i) => [p, new Uint8Array(raw.subarray(32 * i, 32 * (i + 1)))]));

      const quotes = [
        { who: 'ours', msg: 'replay-ours.msg', sig: 'replay-ours.sig', nonce: nonce, reported: reportedOurs },
        {
          who: 'tpm2_quote',
          msg: 'replay-t.msg',
          sig: 'replay-t.sig',
          nonce: fromHex(toolNonce),
          reported: reportedTools,
        },
      ];
      const check = (q: (typeof quotes)[number], expect: ExpectedBank) =>
        checkQuoteReplay({
          quoted: readFileSync(f(q.msg)),
          signature: readFileSync(f(q.sig)),
          aik: aik.public,
          nonce: q.nonce,
          pcrs: [{ hash: TPM_ALG.SHA256, values: q.reported }],
          replayed: [expect],
        });
      const checkquote = (q: (typeof quotes)[number], values: ExpectedBank) => {
        writeFileSync(f('replay.pcrs'), concat(...quoted.map((i) => values.values.get(i)!)));
        return spawnSync(
          'tpm2_checkquote',
          [
            '-u',
            f('replay-ak.pub'),
            '-m',
            f(q.msg),
            '-s',
            f(q.sig),
            '-f',
            f('replay.pcrs'),
            '-l',
            sel,
            '-g',
            'sha256',
            '-q',
            toHex(q.nonce),
          ],
          { encoding: 'utf8', env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti } },
        );
      };
      for (const q of quotes) {
        const v = check(q, replayed);
        if (!v.ok) throw new Error(`${q.who}: ${v.failures.map((x) => x.message).join('; ')}`);
        const r = checkquote(q, replayed);
        if (r.status !== 0)
          throw new Error(`tpm2_checkquote rejects the ${q.who} quote with the replayed PCRs: ${r.stderr}`);
      }

      // Tampering 1: a file digest changed without fixing the template hash — the template check names the entry.
      const forged = ima.map((e) => ({ ...e, fields: [...e.fields] }));
      const d = new Uint8Array(forged[2]!.fields[0]!);
      d[d.byteLength - 1]! ^= 1;
      forged[2]!.fields[0] = d;
      delete forged[2]!.raw;
      let named = '';
      try {
        replay(encodeImaBinary(forged));
      } catch (e) {
        named = e instanceof Error ? e.message : String(e);
      }
      if (!/entry 2/.test(named)) throw new Error(`a forged template digest went unnoticed (${named || 'accepted'})`);
      // Tampering 2: a consistent rewrite (template hash recomputed) — the replay no longer matches, naming PCR 10.
      const rewritten = buildImaLog(
        [...files.slice(0, 3), '/usr/sbin/not-charon'].map((path) => ({
          path,
          digest: createHash('sha256').update(path).digest(),
        })),
        { templateHashAlg: 'sha256' },
      );
      const badIma = replay(encodeImaBinary([ima[0]!, ...rewritten, ima[ima.length - 1]!]));
      // Tampering 3: one firmware event's digest swapped — the failure names PCR 4.
      const badFw = structuredClone(eventLog);
      const ev = badFw.events.find((e) => e.pcr === 4)!;
      ev.digests = ev.digests.map((x) => ({
        alg: x.alg,
        digest: createHash(x.alg === TPM_ALG.SHA1 ? 'sha1' : 'sha256')
          .update('evil grub')
          .digest(),
      }));
      const badBoot = replay(imaBytes, badFw);
      for (const [what, bad, pcr] of [
        ['IMA', badIma, 10],
        ['event log', badBoot, 4],
      ] as const) {
        for (const q of quotes) {
          const v = check(q, bad);
          const named = v.failures.map((x) => x.message).join('; ');
          if (v.ok || !v.failures.some((x) => x.what === 'pcr' && x.message.includes(`PCR ${pcr} (sha256)`)))
            throw new Error(`tampered ${what} log vs ${q.who} quote: ${named || 'accepted'}`);
          if (v.failures.length !== 1) throw new Error(`tampered ${what} log: more failures than PCR ${pcr}: ${named}`);
          if (checkquote(q, bad).status === 0) throw new Error(`tpm2_checkquote accepted the tampered ${what} replay`);
        }
      }
      return `${eventLog.events.length} firmware events + ${ima.length} IMA entries (1 violation); PCR10 ${toHex(replayed.values.get(10)!).slice(0, 16)}…; both quotes verify, tampering names PCR 10 / PCR 4`;
    });
  } finally {
    await transport.close();
    await sw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
