/**
 * The one reader of collector/verifier options (src/tnc/imc-imv/options.ts): what each kind accepts, and errors
 * that name the module and the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../../../src/common/errors.ts';
import { ModuleOptions } from '../../../../src/tnc/imc-imv/options.ts';

test('strings, integers (decimal or 0x), flags and lists; absent keys are undefined or empty', () => {
  const o = new ModuleOptions(
    { s: 'x', n: 7, d: '12', h: '0x81010003', y: 'YES', f: false, l: 'a, b  c', one: 5, arr: ['p', 'q'] },
    'imv test',
  );
  assert.equal(o.string('s'), 'x');
  assert.equal(o.int('n'), 7);
  assert.equal(o.int('d'), 12);
  assert.equal(o.int('h'), 0x81010003);
  assert.equal(o.flag('y'), true);
  assert.equal(o.flag('f'), false);
  assert.deepEqual(o.list('l'), ['a', 'b', 'c']);
  assert.deepEqual(o.list('one'), ['5']);
  assert.deepEqual(o.list('arr'), ['p', 'q']);
  assert.equal(o.string('none'), undefined);
  assert.equal(o.int('none'), undefined);
  assert.equal(o.flag('none'), undefined);
  assert.deepEqual(o.list('none'), []);
});

test('bad values are ConfigErrors naming the module and the key', () => {
  const o = new ModuleOptions({ s: '', n: -1, big: 70, x: '1e3', y: 'maybe', l: [1], m: ['a', ''] }, 'imc attest');
  assert.throws(() => o.string('s'), { message: 'imc attest: s must be a non-empty string' });
  assert.throws(() => o.int('n'), /^ConfigError|imc attest: n must be an integer 0\.\./);
  assert.throws(() => o.int('big', 1, 64), { message: 'imc attest: big must be an integer 1..64' });
  assert.throws(() => o.int('x'), ConfigError);
  assert.throws(() => o.flag('y'), { message: 'imc attest: y must be yes or no' });
  assert.throws(() => o.list('l', 'a list of package names'), {
    message: 'imc attest: l must be a list of package names',
  });
  assert.throws(() => o.list('m'), ConfigError);
});

test('property: any value either reads as its kind or is a ConfigError, never anything else', () => {
  fc.assert(
    fc.property(fc.anything(), (v) => {
      const o = new ModuleOptions({ k: v }, 'imv x');
      for (const read of [() => o.string('k'), () => o.int('k'), () => o.flag('k'), () => o.list('k')]) {
        try {
          read();
        } catch (e) {
          assert.ok(e instanceof ConfigError, String(e));
        }
      }
    }),
  );
});
