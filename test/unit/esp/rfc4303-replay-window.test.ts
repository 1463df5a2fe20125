/**
 * Anti-replay window (RFC 4303 §3.4.3, Appendix A2): the pre-check before the ICV, the update after it, and the
 * inference of the high-order ESN bits across a 2^32 boundary. A property test compares the window with a model
 * that remembers every accepted number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow } from '../../../src/esp/replay.ts';

const TWO32 = 2 ** 32;

function accept(w: ReplayWindow, seqLo: number): boolean {
  const v = w.check(seqLo);
  return v.ok && w.update(v.full);
}

test('a packet is accepted once; a replay and anything older than the window are refused', () => {
  const w = new ReplayWindow(1024);
  assert.equal(w.size, 1024);
  assert.equal(accept(w, 1), true);
  assert.equal(accept(w, 1), false, 'replay');
  assert.equal(accept(w, 3000), true);
  assert.equal(w.check(3000 - 1023).ok, true, 'oldest in the window');
  assert.deepEqual(w.check(3000 - 1024), { ok: false, why: 'stale' });
  assert.deepEqual(w.check(3000), { ok: false, why: 'replay' });
  assert.deepEqual(w.check(0), { ok: false, why: 'stale' }, 'sequence number 0 is never sent');
});

test('check does not move the window: a forged packet (ICV never verified) changes nothing', () => {
  const w = new ReplayWindow(1024);
  accept(w, 10);
  assert.equal(w.check(500_000).ok, true);
  assert.equal(w.top, 10);
  assert.equal(accept(w, 11), true);
});

test('ESN: high bits inferred across the 2^32 boundary (Appendix A2.2 cases A and B)', () => {
  const w = new ReplayWindow(1024, true);
  // Right after start, a Seql just below 2^32 would belong to subspace -1: refused.
  assert.deepEqual(w.check(TWO32 - 10), { ok: false, why: 'stale' });
  // Move T close to the end of the first subspace.
  assert.equal(accept(w, TWO32 - 2000), true);
  assert.equal(accept(w, TWO32 - 10), true);
  // Case A: a small Seql is in the next subspace.
  const next = w.check(5);
  assert.deepEqual(next, { ok: true, seqHi: 1, full: TWO32 + 5 });
  assert.equal(w.update(TWO32 + 5), true);
  // Case B (Tl < W - 1): a large Seql belongs to the previous subspace, still within the window.
  const prev = w.check(TWO32 - 3);
  assert.deepEqual(prev, { ok: true, seqHi: 0, full: TWO32 - 3 });
  assert.equal(w.update(prev.ok ? prev.full : 0), true);
  assert.deepEqual(w.check(TWO32 - 10), { ok: false, why: 'replay' });
  // Below the window, Seql is read as belonging to the current subspace (far ahead): only the ICV can reject it.
  assert.deepEqual(w.check(TWO32 - 2000), { ok: true, seqHi: 1, full: 2 * TWO32 - 2000 });
});

test('property: the window agrees with a model that remembers every accepted number', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 400 }), (seqs) => {
      const w = new ReplayWindow(1024);
      const seen = new Set<number>();
      let top = 0;
      for (const s of seqs) {
        const expected = !seen.has(s) && (s > top || top - s < 1024);
        assert.equal(accept(w, s), expected, `seq ${s} top ${top}`);
        if (expected) {
          seen.add(s);
          top = Math.max(top, s);
        }
      }
    }),
  );
});
