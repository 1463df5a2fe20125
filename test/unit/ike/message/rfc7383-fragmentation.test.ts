/**
 * IKEv2 fragmentation (RFC 7383 §2.5, §2.6): encodeFragments splits the inner payload chain into SKF payloads, each
 * a whole IKE message; FragmentReassembler puts them back together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LimitError, ParseError, StateError, VerifyError } from '../../../../src/common/errors.ts';
import type { DecodedFragment } from '../../../../src/ike/message/index.ts';
import {
  decodeHeader,
  decodeMessage,
  encodeFragments,
  encodeMessage,
  FragmentReassembler,
} from '../../../../src/ike/message/index.ts';
import type { IkeMessage } from '../../../../src/ike/payloads/types.ts';
import { HeaderFlag, PayloadType } from '../../../../src/ike/payloads/types.ts';
import { ikeAuthRequest, ikeSaInitRequest } from './messages.ts';
import { GcmSkDouble } from './sk-double.ts';

function fragmentsOf(msg: IkeMessage, max: number, sk = new GcmSkDouble()): DecodedFragment[] {
  return encodeFragments(msg, sk, max).map((b) => {
    const r = decodeMessage(b, sk);
    assert.equal(r.kind, 'fragment');
    return r as DecodedFragment;
  });
}

test('a message that fits is sent whole, in one SK payload', () => {
  const sk = new GcmSkDouble();
  const out = encodeFragments(ikeAuthRequest(), sk, 1280);
  assert.equal(out.length, 1);
  assert.equal(decodeHeader(out[0]!).nextPayload, PayloadType.SK);
  assert.throws(() => encodeFragments(ikeSaInitRequest(), sk, 1280), StateError);
});

test('a large message splits into SKF fragments within the size limit (RFC 7383 §2.5)', () => {
  const sk = new GcmSkDouble();
  const msg = ikeAuthRequest(3000);
  const out = encodeFragments(msg, sk, 576);
  assert.ok(out.length >= 6, `${out.length} fragments`);
  out.forEach((b, i) => {
    assert.ok(b.byteLength <= 576);
    const h = decodeHeader(b);
    assert.equal(h.nextPayload, PayloadType.SKF);
    assert.equal(h.messageId, 1);
    // SKF generic header: Next Payload is the first inner type in fragment 1, 0 in the others.
    assert.equal(b[28], i === 0 ? PayloadType.IDi : 0);
    // Fragment Number and Total Fragments.
    assert.equal((b[32]! << 8) | b[33]!, i + 1);
    assert.equal((b[34]! << 8) | b[35]!, out.length);
  });
  // All but the last fragment use the room: nothing wasted beyond the padding granularity.
  assert.ok(out.slice(0, -1).every((b) => b.byteLength > 576 - 4));
});

test('Fragment Number and Total Fragments are authenticated', () => {
  const sk = new GcmSkDouble();
  const [f1] = encodeFragments(ikeAuthRequest(3000), sk, 576);
  const t = f1!.slice();
  t[35]! ^= 0x01;
  assert.throws(
    () => decodeMessage(t, sk),
    (e: unknown) => e instanceof VerifyError || e instanceof ParseError,
  );
  const u = f1!.slice();
  u[33] = 2; // fragment 2 of N: only the ICV catches it
  assert.throws(() => decodeMessage(u, sk), VerifyError);
});

test('reassembly in order, in reverse and shuffled with duplicates gives the original message (property)', () => {
  const msg = ikeAuthRequest(2500);
  const frags = fragmentsOf(msg, 500);
  fc.assert(
    fc.property(
      fc.shuffledSubarray(frags, { minLength: frags.length, maxLength: frags.length }),
      fc.array(fc.nat({ max: frags.length - 1 }), { maxLength: 5 }),
      (order, dups) => {
        const ra = new FragmentReassembler();
        const feed = [...order];
        for (const d of dups) feed.splice(d, 0, frags[d]!);
        let done: IkeMessage | undefined;
        let count = 0;
        for (const f of feed) {
          const m = ra.add(f);
          if (m) {
            done = m;
            count++;
          }
        }
        assert.equal(count, 1);
        assert.deepEqual(done?.payloads, msg.payloads);
        assert.equal(done?.encrypted, true);
      },
    ),
    { numRuns: 100 },
  );
  const reversed = new FragmentReassembler();
  const results = [...frags].reverse().map((f) => reversed.add(f));
  assert.deepEqual(results.at(-1)?.payloads, msg.payloads);
  assert.ok(results.slice(0, -1).every((r) => r === undefined));
  assert.equal(reversed.pending, 0);
});

test('Total Fragments: fewer than before is rejected, more restarts the collection (RFC 7383 §2.6)', () => {
  const msg = ikeAuthRequest(2500);
  const small = fragmentsOf(msg, 1200);
  const big = fragmentsOf(msg, 500);
  assert.ok(big.length > small.length);
  const ra = new FragmentReassembler();
  assert.equal(ra.add(big[0]!), undefined);
  assert.throws(() => ra.add(small[1]!), ParseError);
  // Re-fragmented with more fragments: the old collection is dropped.
  const ra2 = new FragmentReassembler();
  ra2.add(small[0]!);
  let out: IkeMessage | undefined;
  for (const f of big) out = ra2.add(f) ?? out;
  assert.deepEqual(out?.payloads, msg.payloads);
});

test('limits: too many fragments and too many bytes are LimitErrors', () => {
  const msg = ikeAuthRequest(6000);
  const frags = fragmentsOf(msg, 100);
  assert.ok(frags.length > 64);
  assert.throws(() => new FragmentReassembler().add(frags[0]!), LimitError);
  const tiny = new FragmentReassembler({ maxBytes: 1000 });
  const mid = fragmentsOf(msg, 400);
  assert.throws(() => {
    for (const f of mid) tiny.add(f);
  }, LimitError);
  assert.equal(tiny.pending, 0);
  assert.throws(() => encodeFragments(msg, new GcmSkDouble(), 60), LimitError);
});

test('a newer message id discards an incomplete older one; older ids are dropped; directions are apart', () => {
  const a = ikeAuthRequest(2000);
  const b = { ...ikeAuthRequest(2000), header: { ...a.header, messageId: 2 } };
  const fa = fragmentsOf(a, 600);
  const fb = fragmentsOf(b, 600);
  const ra = new FragmentReassembler();
  ra.add(fa[0]!);
  let out: IkeMessage | undefined;
  for (const f of fb) out = ra.add(f) ?? out;
  assert.equal(out?.header.messageId, 2);
  ra.add(fb[0]!);
  for (const f of fa) assert.equal(ra.add(f), undefined);
  // A response with the same message id is collected separately.
  const resp = { ...a, header: { ...a.header, flags: HeaderFlag.RESPONSE } };
  const fr = fragmentsOf(resp, 600);
  const rb = new FragmentReassembler();
  rb.add(fa[0]!);
  let r: IkeMessage | undefined;
  for (const f of fr) r = rb.add(f) ?? r;
  assert.equal(r?.header.flags, HeaderFlag.RESPONSE);
  assert.equal(rb.pending, 1);
  rb.clear();
  assert.equal(rb.pending, 0);
});

test('a whole message re-encoded from the reassembled one decodes to the same payloads', () => {
  const sk = new GcmSkDouble();
  const msg = ikeAuthRequest(2000);
  const ra = new FragmentReassembler();
  let out: IkeMessage | undefined;
  for (const f of fragmentsOf(msg, 700, sk)) out = ra.add(f) ?? out;
  assert.ok(out);
  const again = decodeMessage(encodeMessage(out, sk), sk);
  assert.equal(again.kind, 'message');
  if (again.kind === 'message') assert.deepEqual(again.message.payloads, msg.payloads);
});
