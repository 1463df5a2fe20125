/**
 * Debian control stanzas (Debian Policy §5.1) from /var/lib/dpkg/status and Packages files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { packageVersionsFrom } from '../../../src/refdb/import/dpkg.ts';
import { parseStanzas } from '../../../src/swima/deb822.ts';
import { isDeclaredError } from '../../../src/common/errors.ts';

const STATUS = `Package: openssl
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit
 This package contains the openssl binary.
 .
 More text.

Package: oldpkg
Status: deinstall ok config-files
Version: 1.0

Package: bash
Status: hold ok installed
Essential: yes
Version: 5.2.15-2+b2

Package: half
Status: install reinstreq half-installed
Version: 0.1
`;

const PACKAGES = `Package: openssl
Version: 3.0.13-1~deb12u1
Architecture: amd64
Filename: pool/updates/main/o/openssl/openssl_3.0.13-1~deb12u1_amd64.deb

Package: libssl3
Source: openssl
Version: 3.0.13-1~deb12u1
`;

test('dpkg status: only installed packages, with version', () => {
  assert.deepEqual(packageVersionsFrom(STATUS), [
    { name: 'openssl', release: '3.0.11-1~deb12u2' },
    { name: 'bash', release: '5.2.15-2+b2' },
  ]);
  const st = parseStanzas(STATUS);
  assert.equal(st.length, 4);
  assert.equal(
    st[0]!.fields.get('description'),
    'Secure Sockets Layer toolkit\nThis package contains the openssl binary.\n.\nMore text.',
  );
});

test('Packages file: every stanza, with the security and blacklist flags asked for', () => {
  assert.deepEqual(packageVersionsFrom(PACKAGES, { security: true, time: 5 }), [
    { name: 'openssl', release: '3.0.13-1~deb12u1', security: true, time: 5 },
    { name: 'libssl3', release: '3.0.13-1~deb12u1', security: true, time: 5 },
  ]);
  assert.ok(packageVersionsFrom(PACKAGES, { blacklist: true }).every((r) => r.blacklist === true));
});

test('malformed stanzas are ParseErrors; limits are LimitErrors', () => {
  assert.throws(() => parseStanzas(' continuation first'), { code: 'ERR_PARSE' });
  assert.throws(() => parseStanzas('no colon here'), { code: 'ERR_PARSE' });
  assert.throws(() => parseStanzas('Package: a\npackage: b'), { code: 'ERR_PARSE' });
  assert.throws(() => parseStanzas('A: 1\n\nB: 2\n\nC: 3', { maxStanzas: 2 }), { code: 'ERR_LIMIT' });
  assert.throws(() => parseStanzas(`A: ${'x'.repeat(100)}`, { maxLineLength: 50 }), { code: 'ERR_LIMIT' });
});

const fieldName = fc.stringMatching(/^[A-Z][A-Za-z0-9-]{0,10}$/);
const value = fc.stringMatching(/^[!-~][ -~]{0,20}$/).map((s) => s.trimEnd());

test('property: written stanzas parse back to the same fields', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.uniqueArray(fc.tuple(fieldName, value), { minLength: 1, maxLength: 6, selector: ([k]) => k.toLowerCase() }),
        { minLength: 1, maxLength: 5 },
      ),
      (stanzas) => {
        const text = stanzas.map((s) => s.map(([k, v]) => `${k}: ${v}`).join('\n')).join('\n\n') + '\n';
        const parsed = parseStanzas(text);
        assert.equal(parsed.length, stanzas.length);
        parsed.forEach((p, i) =>
          assert.deepEqual(
            [...p.fields],
            stanzas[i]!.map(([k, v]) => [k.toLowerCase(), v]),
          ),
        );
      },
    ),
  );
});

test('property: arbitrary text yields rows or a declared error, nothing else', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      try {
        packageVersionsFrom(s);
      } catch (e) {
        assert.ok(isDeclaredError(e), String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test("lenient deb822 (a device's own database): odd lines are skipped, a repeated field keeps its last value", () => {
  const text =
    ' orphan continuation\nPackage: a\nno colon here\nVersion: 1\nVersion: 2\n\n#comment\nPackage: b\nVersion: 3\n';
  assert.throws(() => parseStanzas(text), { code: 'ERR_PARSE' });
  const st = parseStanzas(text, {}, { strict: false });
  assert.deepEqual(
    st.map((s) => [s.fields.get('package'), s.fields.get('version')]),
    [
      ['a', '2'],
      ['b', '3'],
    ],
  );
  // The limits hold in both modes.
  assert.throws(() => parseStanzas('A: 1\n\nB: 2\n\nC: 3', { maxStanzas: 2 }, { strict: false }), {
    code: 'ERR_LIMIT',
  });
});
