/**
 * The strongSwan settings syntax (strongswan.conf(5)/swanctl.conf(5)); expectations follow strongSwan's
 * settings_lexer.l / settings_parser.y / settings_types.c (6.0 tree, read for facts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError } from '../../../../src/common/errors.ts';
import {
  formatSettings,
  getSection,
  getValue,
  loadSettings,
  parseSettings,
} from '../../../../src/daemon/config/index.ts';
import type { SettingsSection } from '../../../../src/daemon/config/index.ts';

/** A plain object view for deep comparisons: values as strings, sections as nested objects under `{}` keys. */
function plain(s: SettingsSection): unknown {
  return {
    values: Object.fromEntries(s.values),
    sections: Object.fromEntries([...s.sections].map(([k, v]) => [k, plain(v)])),
  };
}

const configError = (re: RegExp) => (e: unknown) => e instanceof ConfigError && re.test(e.message);

test('sections, nesting, comments and values to the end of the line', () => {
  const t = parseSettings(
    [
      '# swanctl.conf',
      'connections {',
      '   home {   # the home gateway',
      '      local_addrs  = 192.168.0.2   # comment after a value',
      '      remote_addrs = moon.strongswan.org',
      '      proposals = aes128-sha256-x25519, aes256gcm16-prfsha384-ecp384',
      '      local { auth = pubkey',
      '              certs = carolCert.pem }',
      '      children {',
      '         net { remote_ts = 10.1.0.0/16 }',
      '      }',
      '   }',
      '}',
      '',
    ].join('\n'),
    { file: 'swanctl.conf' },
  );
  assert.equal(getValue(t, 'connections.home.local_addrs'), '192.168.0.2');
  assert.equal(getValue(t, 'connections.home.remote_addrs'), 'moon.strongswan.org');
  assert.equal(getValue(t, 'connections.home.proposals'), 'aes128-sha256-x25519, aes256gcm16-prfsha384-ecp384');
  assert.equal(getValue(t, 'connections.home.local.auth'), 'pubkey');
  assert.equal(getValue(t, 'connections.home.local.certs'), 'carolCert.pem');
  assert.equal(getValue(t, 'connections.home.children.net.remote_ts'), '10.1.0.0/16');
  assert.deepEqual([...getSection(t, 'connections.home')!.sections.keys()], ['local', 'children']);
  assert.deepEqual(getSection(t, 'connections.home')!.where.get('remote_addrs'), {
    file: 'swanctl.conf',
    line: 5,
    column: 7,
  });
});

test('value parts are joined by one space; quoted parts keep blanks and know escapes', () => {
  const t = parseSettings(
    [
      'a = one   two\tthree',
      'b = "  padded  " tail',
      'c = "tab\\tnl\\nquote\\" back\\\\ other\\q"',
      'd = ""',
      'e = x"y"z',
    ].join('\n'),
  );
  assert.equal(t.values.get('a'), 'one two three');
  assert.equal(t.values.get('b'), '  padded   tail');
  assert.equal(t.values.get('c'), 'tab\tnl\nquote" back\\ otherq');
  assert.equal(t.values.get('d'), '');
  assert.equal(t.values.get('e'), 'x y z');
});

test('quoted strings may span lines; backslash-newline continues a line; CR is dropped', () => {
  const t = parseSettings('a = "first\nsecond"\nb = "joined \\\nline"\r\nc = x\r\n  d = "cr\r\nlf"\n');
  assert.equal(t.values.get('a'), 'first\nsecond');
  assert.equal(t.values.get('b'), 'joined line');
  assert.equal(t.values.get('c'), 'x');
  assert.equal(t.values.get('d'), 'cr\nlf');
  // line numbers keep counting inside strings
  assert.equal(t.where.get('c')!.line, 5);
});

test('several key = value on one line are one value (swanctl.conf needs one per line)', () => {
  const t = parseSettings('a = 1 b = 2\ns { x = 1 y = 2 }');
  assert.equal(t.values.get('a'), '1 b = 2');
  assert.equal(t.values.has('b'), false);
  // `}` ends a value, so a one-line section with one key works
  assert.equal(getValue(t, 's.x'), '1 y = 2');
});

test('later definitions override in place; sections merge; `key =` clears a value', () => {
  const t = parseSettings('a = 1\nb = 2\ns { x = 1 }\na = 3\ns { y = 2\n x = 4 }\nb =\n');
  assert.deepEqual([...t.values], [['a', '3']]);
  assert.deepEqual(
    [...getSection(t, 's')!.values],
    [
      ['x', '4'],
      ['y', '2'],
    ],
  );
  assert.equal(t.where.get('a')!.line, 4);
});

test('keys and sections are separate name spaces', () => {
  const t = parseSettings('n = v\nn { k = 1 }');
  assert.equal(t.values.get('n'), 'v');
  assert.equal(getValue(t, 'n.k'), '1');
});

test('section references inherit keys and subsections; own definitions win', () => {
  const t = parseSettings(
    [
      'connections {',
      '  base { version = 2\n remote_addrs = 10.0.0.1\n proposals = default\n children { net { mode = tunnel\n rekey_time = 1h } } }',
      '  home : connections.base {',
      '    remote_addrs = 10.0.0.2',
      '    proposals =',
      '    children { net { rekey_time = 2h } }',
      '  }',
      '  multi : connections.home, other { }',
      '}',
      'other { extra = yes }',
    ].join('\n'),
  );
  const home = getSection(t, 'connections.home')!;
  assert.deepEqual(
    [...home.values],
    [
      ['remote_addrs', '10.0.0.2'],
      ['version', '2'],
    ],
  );
  assert.deepEqual(Object.fromEntries(getSection(t, 'connections.home.children.net')!.values), {
    rekey_time: '2h',
    mode: 'tunnel',
  });
  const multi = getSection(t, 'connections.multi')!;
  assert.equal(multi.values.get('remote_addrs'), '10.0.0.2');
  assert.equal(multi.values.get('extra'), 'yes');
  assert.equal(multi.values.has('proposals'), false, 'cleared in home, so not inherited from base through home');
  // the referenced section itself is unchanged
  assert.equal(getValue(t, 'connections.base.proposals'), 'default');
});

test('reference loops terminate', () => {
  const t = parseSettings('a : b { x = 1 }\nb : a { y = 2 }');
  assert.deepEqual(Object.fromEntries(getSection(t, 'a')!.values), { x: '1', y: '2' });
  assert.deepEqual(Object.fromEntries(getSection(t, 'b')!.values), { y: '2', x: '1' });
  assert.throws(() => parseSettings('a { b : a { } }'), configError(/nest too deeply/));
});

test('include: globs relative to the including file, sorted, inside sections; missing files are ignored', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attestd-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', 'b.conf'), 'home { version = 2 }\n');
  writeFileSync(
    join(dir, 'conf.d', 'a.conf'),
    'home { version = 1\n remote_addrs = a }\noffice { x = "with \\"include\\"" }\n',
  );
  writeFileSync(join(dir, 'conf.d', 'skip.txt'), 'this is { not parsed');
  writeFileSync(join(dir, 'secrets.conf'), 'ike-1 {\n  secret = s3cr3t\n}');
  writeFileSync(
    join(dir, 'swanctl.conf'),
    'connections {\n  include conf.d/*.conf\n}\nsecrets {\n  include "secrets.conf"\n  include nothing-here.conf # ignored\n}\nafter = yes\n',
  );
  const s = loadSettings(join(dir, 'swanctl.conf'));
  assert.deepEqual([...getSection(s, 'connections')!.sections.keys()], ['home', 'office']);
  assert.equal(getValue(s, 'connections.home.version'), '2', 'b.conf comes after a.conf');
  assert.equal(getValue(s, 'connections.home.remote_addrs'), 'a');
  assert.equal(getValue(s, 'connections.office.x'), 'with "include"');
  assert.equal(getValue(s, 'secrets.ike-1.secret'), 's3cr3t');
  assert.equal(getValue(s, 'after'), 'yes');
  assert.equal(getSection(s, 'connections.office')!.at!.file, join(dir, 'conf.d', 'a.conf'));
});

test('include with an injected file system; `include = x` is a key; errors name the included file', () => {
  const files: Record<string, string> = { '/etc/x/a.conf': 'k = v\n', '/etc/x/bad.conf': 'ok = 1\n  oops }\n' };
  const opts = {
    file: '/etc/x/main.conf',
    readFile: (p: string) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return f;
    },
    glob: (p: string) => [p],
  };
  const t = parseSettings('include a.conf\ninclude = literal\n', opts);
  assert.equal(t.values.get('k'), 'v');
  assert.equal(t.values.get('include'), 'literal');
  assert.throws(
    () => parseSettings('s {\ninclude bad.conf\n}', opts),
    configError(/^\/etc\/x\/bad\.conf:2:8: unexpected '\}' after 'oops'/),
  );
  files['/etc/x/self.conf'] = 'include self.conf\n';
  assert.throws(() => parseSettings('include self.conf', opts), configError(/includes nested deeper than 16/));
});

test('syntax errors carry file:line:column and say what was expected', () => {
  const cases: [string, RegExp][] = [
    ['a {\n  b = 1\n', /^f\.conf:3:1: missing '}' for section 'a' opened at f\.conf:1:1$/],
    ['a = 1\n}\n', /^f\.conf:2:1: unexpected '}'/],
    ['a {\n  x = "never closed\n}\n', /^f\.conf:2:7: unterminated string$/],
    ['"key" = 1', /^f\.conf:1:1: unexpected string/],
    ['conn.home = 1', /^f\.conf:1:5: '\.' is not allowed in names/],
    ['a b = c', /^f\.conf:1:3: unexpected name 'b' after 'a', expected '=', '\{' or ':'/],
    ['a : { }', /^f\.conf:1:5: unexpected '\{', expected the name of a section to inherit from/],
    ['a : b = 1', /^f\.conf:1:7: unexpected '=', expected '\{'/],
    ['= 1', /^f\.conf:1:1: unexpected '=', expected a key or section name/],
    ['x\n\n   , y', /^f\.conf:3:4: unexpected ',' after 'x'/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseSettings(text, { file: 'f.conf' }), configError(re), text);
});

test('comments: after a blank a CR ends them; met directly they run to the LF (flex longest match)', () => {
  assert.deepEqual([...parseSettings('# c\rkey = value\n').values], []);
  assert.deepEqual([...parseSettings('# c\rkey = value').values], [['key', 'value']]);
  assert.deepEqual(
    [...parseSettings('x = 1\n  # c\rkey = value\n').values],
    [
      ['x', '1'],
      ['key', 'value'],
    ],
  );
  assert.deepEqual([...parseSettings('x = 1 # c\rkey = value\n').values], [['x', '1']]);
});

const name = fc.stringMatching(/^[a-z0-9_-]{1,8}$/).filter((n) => n !== 'include');
const value = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ' ', '\t', '\n', '"', '\\', '#', '}', '{', '=', ',', '.', 'é'),
  maxLength: 12,
});
interface Tree {
  values: [string, string][];
  sections: [string, Tree][];
}
const tree: fc.Memo<Tree> = fc.memo((n) =>
  fc.record({
    values: fc.uniqueArray(fc.tuple(name, value), { selector: (e) => e[0], maxLength: 4 }),
    sections:
      n > 1 ? fc.uniqueArray(fc.tuple(name, tree(n - 1)), { selector: (e) => e[0], maxLength: 3 }) : fc.constant([]),
  }),
);
const toPlain = (t: Tree): unknown => ({
  values: Object.fromEntries(t.values),
  sections: Object.fromEntries(t.sections.map(([k, v]) => [k, toPlain(v)])),
});

test('property: formatSettings → parseSettings round-trips any tree', () => {
  fc.assert(
    fc.property(tree(3), (t) => {
      const parsed = parseSettings(formatSettings(toSection(t)));
      assert.deepEqual(plain(parsed), toPlain(t));
      assert.equal(formatSettings(parseSettings(formatSettings(parsed))), formatSettings(parsed));
    }),
    { numRuns: 300 },
  );
});

function toSection(t: Tree, path = ''): SettingsSection {
  return {
    name: path.split('.').at(-1) ?? '',
    path,
    values: new Map(t.values),
    sections: new Map(t.sections.map(([k, v]) => [k, toSection(v, path ? `${path}.${k}` : k)])),
    where: new Map(),
    at: undefined,
  };
}

test('property: arbitrary text either parses or fails with a ConfigError', () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom('a', ' ', '\n', '{', '}', '=', ':', ',', '.', '"', '\\', '#', '\r', 'include '),
      }),
      (s) => {
        try {
          parseSettings(s, { readFile: () => '', glob: () => [] });
        } catch (e) {
          assert.ok(e instanceof ConfigError, String(e));
        }
      },
    ),
    { numRuns: 2000 },
  );
});
