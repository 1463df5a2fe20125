/**
 * TCG PC Client Platform Firmware Profile §10 event logs: the crypto-agile format (Spec ID Event03 header,
 * TCG_PCR_EVENT2 records), StartupLocality, EV_NO_ACTION, replay of PCRs; builder round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { LimitError, ParseError, VerifyError, toHex } from '../../../src/common/index.ts';
import {
  EventType,
  EventTypeNames,
  decodeSpecIdEvent,
  encodeEventLog,
  parseEventLog,
  startupLocality,
} from '../../../src/measure/eventlog.ts';
import { buildEventLog, buildEventLogBytes, separator, type EventSpec } from '../../../src/measure/eventlog-builder.ts';
import { replayEventLog, eventLogBanks, eventLogExtends } from '../../../src/measure/replay.ts';
import { extend } from '../../../src/measure/hash.ts';
import { TPM_ALG } from '../../../src/measure/hash.ts';

const sha = (alg: string, ...parts: (string | Uint8Array)[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const le16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const enc = (s: string) => new Uint8Array(Buffer.from(s));

const EVENTS: EventSpec[] = [
  { pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: enc('1.0\0') },
  { pcr: 0, type: EventType.EV_EFI_PLATFORM_FIRMWARE_BLOB, data: new Uint8Array(16), hashed: enc('firmware volume') },
  { pcr: 7, type: EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data: enc('SecureBoot=1') },
  { pcr: 4, type: EventType.EV_EFI_BOOT_SERVICES_APPLICATION, data: new Uint8Array(40), hashed: enc('shimx64.efi') },
  ...[0, 1, 2, 3, 4, 5, 6, 7].map(separator),
  { pcr: 14, type: EventType.EV_IPL, data: enc('MokList\0') },
  { pcr: 8, type: EventType.EV_IPL, data: enc('grub_cmd linux /vmlinuz\0') },
  { pcr: 1, type: EventType.EV_NO_ACTION, data: enc('not extended') },
];

/** The first record and a TCG_PCR_EVENT2, written field by field (not with our encoder). */
function handwritten(): Buffer {
  const spec = Buffer.concat([
    Buffer.from('Spec ID Event03\0'),
    le32(0),
    Buffer.from([0, 2, 0, 2]),
    le32(2),
    le16(TPM_ALG.SHA1),
    le16(20),
    le16(TPM_ALG.SHA256),
    le16(32),
    Buffer.from([0]),
  ]);
  const header = Buffer.concat([le32(0), le32(EventType.EV_NO_ACTION), Buffer.alloc(20), le32(spec.length), spec]);
  const loc = Buffer.concat([Buffer.from('StartupLocality\0'), Buffer.from([3])]);
  const ev0 = Buffer.concat([
    le32(0),
    le32(EventType.EV_NO_ACTION),
    le32(2),
    le16(4),
    Buffer.alloc(20),
    le16(11),
    Buffer.alloc(32),
    le32(loc.length),
    loc,
  ]);
  const data = Buffer.from('1.0\0');
  const ev1 = Buffer.concat([
    le32(0),
    le32(EventType.EV_S_CRTM_VERSION),
    le32(2),
    le16(4),
    sha('sha1', data),
    le16(11),
    sha('sha256', data),
    le32(4),
    data,
  ]);
  return Buffer.concat([header, ev0, ev1]);
}

test('a handwritten crypto-agile log parses; the builder produces the same bytes', () => {
  const bytes = new Uint8Array(handwritten());
  const log = parseEventLog(bytes);
  assert.equal(log.format, 'crypto-agile');
  assert.deepEqual(log.specId!.algorithms, [
    { algId: TPM_ALG.SHA1, digestSize: 20 },
    { algId: TPM_ALG.SHA256, digestSize: 32 },
  ]);
  assert.equal(log.specId!.uintnSize, 2);
  assert.equal(log.events.length, 2);
  assert.equal(startupLocality(log.events[0]!), 3);
  assert.equal(EventTypeNames.get(log.events[1]!.type), 'EV_S_CRTM_VERSION');
  assert.deepEqual(encodeEventLog(log), bytes);
  const built = buildEventLogBytes([{ pcr: 0, type: EventType.EV_S_CRTM_VERSION, data: enc('1.0\0') }], {
    locality: 3,
  });
  assert.deepEqual(built, bytes);
});

test('replay: StartupLocality seeds PCR 0, EV_NO_ACTION is not extended, PCRs 0-9 always present', () => {
  const log = parseEventLog(buildEventLogBytes(EVENTS, { locality: 3, banks: ['sha1', 'sha256', 'sha384'] }));
  assert.deepEqual(eventLogBanks(log), ['sha1', 'sha256', 'sha384']);
  for (const bank of ['sha1', 'sha256', 'sha384'] as const) {
    const size = { sha1: 20, sha256: 32, sha384: 48 }[bank];
    const expected = new Map<number, Buffer>();
    for (let i = 0; i <= 9; i++) expected.set(i, Buffer.alloc(size));
    expected.get(0)![size - 1] = 3;
    for (const e of EVENTS) {
      if (e.type === EventType.EV_NO_ACTION) continue;
      const old = expected.get(e.pcr) ?? Buffer.alloc(size);
      expected.set(e.pcr, sha(bank, old, sha(bank, e.hashed ?? e.data)));
    }
    const got = replayEventLog(log, bank);
    assert.deepEqual(
      [...got.keys()],
      [...expected.keys()].sort((a, b) => a - b),
    );
    for (const [pcr, v] of expected) assert.equal(toHex(got.get(pcr)!), v.toString('hex'), `${bank} PCR ${pcr}`);
  }
  assert.throws(() => replayEventLog(log, 'sha512'), VerifyError);
  // Without StartupLocality PCR 0 starts at zero.
  const noLoc = replayEventLog(buildEventLog(EVENTS.slice(0, 1)), 'sha256');
  assert.equal(toHex(noLoc.get(0)!), sha('sha256', Buffer.alloc(32), sha('sha256', EVENTS[0]!.data)).toString('hex'));
});

test('malformed logs: unknown algorithm, truncation, bad Spec ID, limits', () => {
  const good = handwritten();
  const bad = Buffer.from(good);
  // hashAlg of the first digest of the last event: header 4+4+20+4+spec, then ev0 (…), locate by re-encoding.
  const lastEv = good.length - (4 + 4 + 4 + 2 + 20 + 2 + 32 + 4 + 4);
  bad.writeUInt16LE(0x99, lastEv + 12);
  assert.throws(
    () => parseEventLog(new Uint8Array(bad)),
    (e: unknown) => e instanceof ParseError && /event\[2\]/.test(e.field),
  );
  assert.throws(() => parseEventLog(new Uint8Array(good.subarray(0, good.length - 1))), ParseError);
  const spec = Buffer.from(good.subarray(32));
  spec.writeUInt32LE(1000, 24);
  assert.throws(() => decodeSpecIdEvent(new Uint8Array(spec)), ParseError);
  const many = buildEventLogBytes(EVENTS);
  assert.throws(() => parseEventLog(many, { maxEvents: 5 }), LimitError);
  assert.throws(() => parseEventLog(many, { maxEventSize: 8 }), LimitError);
  // Trailing padding of a firmware log area is tolerated unless refused.
  const padded = Buffer.concat([good, Buffer.alloc(64, 0xff)]);
  assert.equal(parseEventLog(new Uint8Array(padded)).events.length, 2);
  assert.throws(() => parseEventLog(new Uint8Array(padded), { allowTrailingPadding: false }), ParseError);
});

test('TPM 1.2 SHA-1 logs (no Spec ID event) parse and replay in the SHA-1 bank', () => {
  const data = Buffer.from('abc');
  const rec = (pcr: number) =>
    Buffer.concat([le32(pcr), le32(EventType.EV_POST_CODE), sha('sha1', data), le32(3), data]);
  const bytes = new Uint8Array(Buffer.concat([rec(0), rec(2)]));
  const log = parseEventLog(bytes);
  assert.equal(log.format, 'sha1');
  assert.deepEqual(encodeEventLog(log), bytes);
  const pcrs = replayEventLog(log, 'sha1');
  assert.equal(toHex(pcrs.get(2)!), sha('sha1', Buffer.alloc(20), sha('sha1', data)).toString('hex'));
  assert.throws(() => replayEventLog(log, 'sha256'), VerifyError);
});

const eventArb: fc.Arbitrary<EventSpec> = fc.record({
  pcr: fc.integer({ min: 0, max: 23 }),
  type: fc.constantFrom(...Object.values(EventType)),
  data: fc.uint8Array({ maxLength: 64 }),
});

test('property: build → encode → parse → encode is byte-equal and replay matches an independent fold', () => {
  fc.assert(
    fc.property(
      fc.array(eventArb, { maxLength: 12 }),
      fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      fc.subarray(['sha1', 'sha256', 'sha384', 'sha512'] as const, { minLength: 1 }),
      (events, locality, banks) => {
        const bytes = buildEventLogBytes(events, { banks, ...(locality === undefined ? {} : { locality }) });
        const log = parseEventLog(bytes, { allowTrailingPadding: false });
        assert.deepEqual(encodeEventLog(log), bytes);
        const bank = banks[banks.length - 1]!;
        const size = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[bank];
        const got = replayEventLog(log, bank);
        const init = (pcr: number) => {
          const b = Buffer.alloc(size, pcr >= 17 && pcr <= 22 ? 0xff : 0);
          if (pcr === 0) b[size - 1] = locality ?? 0;
          return b;
        };
        const exp = new Map<number, Buffer>();
        for (const e of events) {
          if (e.type === EventType.EV_NO_ACTION) continue;
          exp.set(e.pcr, sha(bank, exp.get(e.pcr) ?? init(e.pcr), sha(bank, e.data)));
        }
        for (const [pcr, v] of exp) assert.equal(toHex(got.get(pcr)!), v.toString('hex'));
      },
    ),
    { numRuns: 150 },
  );
});

test('eventLogExtends lists what a TPM must be extended with to reach the replayed PCRs', () => {
  const log = buildEventLog(EVENTS);
  const ext = eventLogExtends(log, 'sha256');
  assert.equal(ext.length, EVENTS.filter((e) => e.type !== EventType.EV_NO_ACTION).length);
  const pcrs = new Map<number, Uint8Array>();
  for (const x of ext) pcrs.set(x.pcr, extend('sha256', pcrs.get(x.pcr) ?? new Uint8Array(32), x.digest));
  const replayed = replayEventLog(log, 'sha256');
  for (const [pcr, v] of pcrs) assert.deepEqual(replayed.get(pcr), v);
});
