/**
 * Differential test of the settings parser against strongSwan's own: libstrongswan (the Debian 5.9.8 build on the
 * test machines) loads the same files through settings_t, driven by oracle/settings-oracle.py over ctypes, and
 * both must agree on accept/reject and on the resolved tree (keys, values, order of first definition).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError } from '../../../../src/common/errors.ts';
import { loadSettings } from '../../../../src/daemon/config/index.ts';
import type { SettingsSection } from '../../../../src/daemon/config/index.ts';
import { requires } from '../../../support/env.ts';
import { EAP_TTLS, FULL, RW_CERT } from './swanctl-examples.ts';

const LIB = '/usr/lib/ipsec/libstrongswan.so.0';
const ORACLE = join(import.meta.dirname, 'oracle', 'settings-oracle.py');

interface Tree {
  values: [string, string][];
  sections: [string, Tree][];
}
interface OracleResult {
  ok: boolean;
  tree: Tree | null;
  deep?: boolean;
}

const ours = (s: SettingsSection): Tree => ({
  values: [...s.values],
  sections: [...s.sections].map(([n, c]) => [n, ours(c)]),
});

/** Runs strongSwan's parser on every file at once; one JSON line per file. */
function oracle(dir: string, files: string[]): OracleResult[] {
  const conf = join(dir, 'strongswan-empty.conf');
  writeFileSync(conf, '');
  const r = spawnSync('python3', [ORACLE, ...files], {
    encoding: 'utf8',
    env: { ...process.env, STRONGSWAN_CONF: conf },
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OracleResult);
}

/** Ours, in the oracle's terms. */
function parseOurs(file: string): OracleResult {
  try {
    return { ok: true, tree: ours(loadSettings(file)) };
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    if (/nest too deeply/.test(e.message)) return { ok: true, tree: null, deep: true };
    return { ok: false, tree: null };
  }
}

/** Hand-picked corner cases of the grammar (see the header of src/daemon/config/settings.ts). */
const CORNERS = [
  FULL,
  RW_CERT,
  EAP_TTLS,
  'a = 1 b = 2\n',
  's { x = 1 y = 2 }\n',
  'a = "q\\"uoted\\n\\t\\x" tail\n',
  'a = "multi\nline"\nb = "cont\\\ninued"\n',
  'a = one\r\n  b = two\r\n',
  '# c\rkey = v\n',
  '# c\rkey = v',
  '% #sec \r=x\n',
  'a  #c\rb = 1\n',
  ' \r\r #c\rb = 1\n',
  ' \r #c\rb = 1',
  'a = x #c\rb = 1\n',
  'a : b #c\rc {}\nb {}\n',
  'a =\nb = ""\nc = 1\nc =\n',
  'a : b { x = 1 }\nb : a { y = 2 }\n',
  'x { y { z = 1 } }\nw : x { y { q = 2 } }\n',
  'a : x.y, b { }\nx { y { k = v } }\nb { k = other\n m = n }\n',
  'include\n',
  'include = value\n',
  'include  = value\n',
  'include \t inc1.conf\n',
  'include \t',
  'include \t\n',
  'include  # nothing\n',
  'include inc1.conf\n',
  's {\n include inc*.conf\n}\n',
  'include "inc1.conf"tail = 1\n',
  'include missing.conf\nk = v\n',
  'n = v\nn { k = 1 }\n',
  'a {\n',
  '}\n',
  '"k" = 1\n',
  'a.b = 1\n',
  'a : { }\n',
  'a = }\n',
  'a = {b\n',
  'a = x#y\n',
  'a = "unterminated\n',
  'a = "x"y"z"\n',
  'é = ü\n',
  'a\n{\n b\n =\n 1\n}\n',
  'x, y { }\n',
  'a : b . c { }\n',
  'a:b{}\n',
  'a = \\\\\n',
  'a { } a { b = 1 } a { b = 2 }\n',
];

const VOCAB = [
  'a',
  'b',
  'key',
  'sec',
  ' ',
  ' ',
  '\t',
  '\n',
  '\n',
  '\r',
  '{',
  '}',
  '=',
  ' = ',
  ':',
  ',',
  '.',
  '"',
  '\\',
  '#',
  'x y',
  'include inc1.conf\n',
  'include inc*.conf\n',
  'include ',
  ' : a',
  ' : a.b',
  ' : b, a',
  'a {',
  'b {',
  'key = v\n',
  'key =\n',
  '"x\\"y"',
  'é',
  '%',
  '0x1f',
];

test('strongSwan and attestd agree on corner cases and on random token soups', (t) => {
  if (!requires(t, { commands: ['python3', 'swanctl'] })) return;
  if (!existsSync(LIB)) {
    requires(t, { commands: ['libstrongswan.so.0'] });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'attestd-oracle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'inc1.conf'), 'inc { from = one }\nk = 1\n');
  writeFileSync(join(dir, 'inc2.conf'), 'inc { from = two\n extra = "x y" }\n');
  const soups = fc.sample(
    fc.array(fc.constantFrom(...VOCAB), { maxLength: 70 }).map((a) => a.join('')),
    { numRuns: 1500, seed: 7 },
  );
  const texts = [...CORNERS, ...soups];
  const files = texts.map((text, i) => {
    const f = join(dir, `case-${i}.conf`);
    writeFileSync(f, text);
    return f;
  });
  const theirs = oracle(dir, files);
  assert.equal(theirs.length, files.length);
  let accepted = 0;
  for (const [i, f] of files.entries()) {
    const mine = parseOurs(f);
    const expected = theirs[i]!;
    assert.deepEqual(
      { ok: mine.ok, deep: mine.deep ?? false, tree: mine.tree },
      { ok: expected.ok, deep: expected.deep ?? false, tree: expected.tree },
      `case ${i}: ${JSON.stringify(texts[i])}`,
    );
    if (mine.ok) accepted++;
  }
  assert.ok(accepted > 40, `only ${accepted} inputs were valid; the soup needs tuning`);
});
