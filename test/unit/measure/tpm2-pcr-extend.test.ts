/** Hash names, TCG algorithm ids and the PCR extend operation (TPM 2.0 Part 1 §17.2: new = H(old ‖ digest)). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ConfigError, VerifyError } from '../../../src/common/index.ts';
import {
  DIGEST_SIZE,
  HASH_NAMES,
  PcrAccumulator,
  TPM_ALG,
  extend,
  hashName,
  hashOfTpmAlg,
  tpmAlgOf,
} from '../../../src/measure/hash.ts';

test('TCG algorithm ids map both ways; sizes match node:crypto', () => {
  assert.equal(tpmAlgOf('sha256'), 0x000b);
  assert.equal(hashOfTpmAlg(TPM_ALG.SHA384), 'sha384');
  assert.equal(hashOfTpmAlg(0x9999), undefined);
  for (const n of HASH_NAMES) {
    assert.equal(hashOfTpmAlg(tpmAlgOf(n)), n);
    assert.equal(createHash(n).update('x').digest().length, DIGEST_SIZE[n]);
  }
  assert.equal(hashName('SHA256'), 'sha256');
  assert.throws(() => hashName('md5'), ConfigError);
});

test('property: the accumulator equals a fold of extend and of createHash', () => {
  fc.assert(
    fc.property(fc.constantFrom(...HASH_NAMES), fc.array(fc.nat(), { maxLength: 20 }), (alg, seeds) => {
      const values = seeds.map((s) => new Uint8Array(createHash(alg).update(String(s)).digest()));
      const acc = new PcrAccumulator(alg);
      let folded: Uint8Array = new Uint8Array(DIGEST_SIZE[alg]);
      let ref = Buffer.alloc(DIGEST_SIZE[alg]);
      for (const v of values) {
        acc.extend(v);
        folded = extend(alg, folded, v);
        ref = createHash(alg).update(ref).update(v).digest();
      }
      assert.deepEqual(acc.value, folded);
      assert.deepEqual(Buffer.from(folded), ref);
    }),
    { numRuns: 100 },
  );
});

test('extending with a value of the wrong size is refused', () => {
  assert.throws(() => new PcrAccumulator('sha256').extend(new Uint8Array(20)), VerifyError);
  assert.throws(() => new PcrAccumulator('sha256', new Uint8Array(20)), ConfigError);
});
