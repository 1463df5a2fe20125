/**
 * The PTS attester's file answers without a TPM (PTS IF-M Binding §3.17, §3.19): directory measurement covers the
 * regular files directly in the directory with relative names, Unix metadata, path and delimiter checks answered
 * with PTS errors, the per-directory file limit, and log files read through the evidence sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pen } from '../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';
import { PtsError, PtsFileType, PtsMeasAlgo, PtsProtoCaps } from '../../../src/pts/constants.ts';
import { PtsAttester, bootLogSource, imaSource } from '../../../src/pts/attester/index.ts';
import { buildImaBinary } from '../../../src/measure/ima-builder.ts';
import { buildEventLogBytes, separator } from '../../../src/measure/eventlog-builder.ts';

const A = (a: Record<string, unknown>) => ({ noskip: false, ...a }) as PaAttribute;
type Any = PaAttribute & Record<string, unknown>;

function tree(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'attestd-pts-files-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'd'));
  writeFileSync(join(root, 'd', 'b'), 'bee');
  writeFileSync(join(root, 'd', 'a'), 'ay');
  mkdirSync(join(root, 'd', 'sub'));
  writeFileSync(join(root, 'd', 'sub', 'deep'), 'not measured');
  return root;
}

test('without a TPM: no T/D capability; SHA-256 selected; directory files measured with relative names', async (t) => {
  const root = tree(t);
  const dev = new PtsAttester();
  const out = (await dev.handle([
    A({ kind: 'tcg/pts-req-proto-caps', flags: 0x1f }),
    A({ kind: 'tcg/pts-meas-algo', algorithms: PtsMeasAlgo.SHA256 | PtsMeasAlgo.SHA1 }),
    A({ kind: 'tcg/pts-req-file-meas', directory: true, requestId: 9, delimiter: 0x2f, path: join(root, 'd') }),
    A({ kind: 'tcg/pts-req-file-meas', directory: false, requestId: 10, delimiter: 0x2f, path: join(root, 'd', 'a') }),
  ])) as Any[];
  assert.equal(out[0]!.flags, 0);
  assert.equal((out[0]!.flags as number) & PtsProtoCaps.T, 0);
  assert.equal(out[1]!.algorithms, PtsMeasAlgo.SHA256);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const files = (out[2]!.files as { filename: string; measurement: Uint8Array }[]).map((f) => [
    f.filename,
    Buffer.from(f.measurement).toString('hex'),
  ]);
  assert.deepEqual(files, [
    ['a', sha('ay')],
    ['b', sha('bee')],
  ]);
  assert.equal(out[2]!.requestId, 9);
  assert.deepEqual(
    (out[3]!.files as { filename: string }[]).map((f) => f.filename),
    [join(root, 'd', 'a')],
  );
});

test('bad requests get PTS errors: relative path, wrong delimiter, missing file, too many files, no TPM', async (t) => {
  const root = tree(t);
  const dev = new PtsAttester({ limits: { maxFiles: 1 } });
  const out = (await dev.handle([
    A({ kind: 'tcg/pts-req-file-meas', directory: false, requestId: 1, delimiter: 0x2f, path: 'etc/passwd' }),
    A({ kind: 'tcg/pts-req-file-meas', directory: false, requestId: 2, delimiter: 0x5c, path: join(root, 'd', 'a') }),
    A({ kind: 'tcg/pts-req-file-meas', directory: false, requestId: 3, delimiter: 0x2f, path: join(root, 'nope') }),
    A({ kind: 'tcg/pts-req-file-meas', directory: true, requestId: 4, delimiter: 0x2f, path: join(root, 'd') }),
    A({ kind: 'tcg/pts-dh-nonce-params-req', minNonceLength: 17, dhGroups: 0x1000 }),
    A({ kind: 'tcg/pts-gen-attest-evid' }),
  ])) as Any[];
  assert.ok(out.every((a) => a.kind === 'ietf/pa-tnc-error' && a.errorVendor === Pen.TCG));
  assert.deepEqual(
    out.map((a) => a.errorCode),
    [
      PtsError.INVALID_PATH,
      PtsError.INVALID_DELIMITER,
      PtsError.FILE_NOT_FOUND,
      PtsError.OPERATION_NOT_SUPPORTED,
      PtsError.OPERATION_NOT_SUPPORTED,
      PtsError.OPERATION_NOT_SUPPORTED,
    ],
  );
});

test('Unix-style file metadata: type, size and owner of each directory entry', async (t) => {
  const root = tree(t);
  const [meta] = (await new PtsAttester().handle([
    A({ kind: 'tcg/pts-req-file-meta', directory: true, delimiter: 0x2f, path: join(root, 'd') }),
  ])) as Any[];
  const files = meta!.files as { filename: string; type: number; size: bigint; owner: bigint }[];
  assert.deepEqual(
    files.map((f) => [f.filename, f.type, f.size]),
    [
      ['a', PtsFileType.REGULAR, 2n],
      ['b', PtsFileType.REGULAR, 3n],
      ['sub', PtsFileType.DIRECTORY, files[2]!.size],
    ],
  );
  assert.equal(files[0]!.owner, BigInt(process.getuid?.() ?? 0));
});

test('evidence sources read IMA and firmware logs from files', async (t) => {
  const root = tree(t);
  writeFileSync(join(root, 'ima'), buildImaBinary([{ path: '/bin/x', digest: new Uint8Array(32) }]));
  writeFileSync(join(root, 'bios'), buildEventLogBytes([separator(0)]));
  const ima = await imaSource({ imaPath: join(root, 'ima') })();
  assert.equal(ima.length, 1);
  const log = await bootLogSource({ bootLogPath: join(root, 'bios') })();
  assert.equal(log?.events.length, 1);
});
