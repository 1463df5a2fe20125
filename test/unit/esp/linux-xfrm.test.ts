/**
 * `data_plane = xfrm`: the `ip xfrm` commands for states and policies, the start-up probe that names this kernel's
 * limitation (XFRM policies but no ESP states), and policy installation in a throw-away network namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ConfigError } from '../../../src/common/errors.ts';
import { XfrmDataPlane, xfrmAlgorithms } from '../../../src/esp/xfrm.ts';
import { requires } from '../../support/env.ts';
import { pair } from './pair.ts';

test('algorithm names for the kernel', () => {
  const { cfgA } = pair({ suite: 'aes256gcm16' });
  assert.deepEqual(xfrmAlgorithms(cfgA, cfgA.encrIn, cfgA.integIn).slice(0, 2), ['aead', 'rfc4106(gcm(aes))']);
  const cbc = pair({ suite: 'aes128-sha256' }).cfgA;
  const a = xfrmAlgorithms(cbc, cbc.encrIn, cbc.integIn);
  assert.deepEqual([a[0], a[1], a[3], a[4], a[6]], ['enc', 'cbc(aes)', 'auth-trunc', 'hmac(sha256)', '128']);
  const cc = pair({ suite: 'chacha20poly1305' }).cfgA;
  assert.equal(xfrmAlgorithms(cc, cc.encrIn, cc.integIn)[1], 'rfc7539esp(chacha20,poly1305)');
});

test('state and policy commands: both directions, encap, ESN, reqid', () => {
  const { cfgA } = pair({ esn: true });
  const x = new XfrmDataPlane();
  const states = x.stateCommands(cfgA, 7);
  assert.equal(states.length, 2);
  for (const s of states) {
    assert.ok(s.includes('espinudp'));
    assert.ok(s.includes('esn'));
    assert.equal(s[s.indexOf('reqid') + 1], '7');
  }
  const policies = x.policyCommands(cfgA, 7);
  assert.deepEqual(
    policies.map((p) => p[p.indexOf('dir') + 1]),
    ['out', 'in', 'fwd'],
  );
  assert.equal(policies[0]![policies[0]!.indexOf('src') + 1], '10.1.0.0/24');
});

test('in a namespace: the probe names the missing ESP states; policies install and are removed', async (t) => {
  if (!requires(t, { root: true, commands: ['ip'] })) return;
  const ns = `at-${process.pid}-xfrm`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.after(() => execFileSync('ip', ['netns', 'del', ns]));
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const x = new XfrmDataPlane({ netns: ns });
  let probe: unknown;
  try {
    await x.probe();
  } catch (e) {
    probe = e;
  }
  // This kernel: "Requested type not found". A kernel with ESP passes the probe.
  if (probe !== undefined) {
    assert.ok(probe instanceof ConfigError);
    assert.match((probe as Error).message, /no ESP states/);
    assert.match((probe as Error).message, /Requested type not found/);
  }
  const { cfgA } = pair();
  await x.installPolicies(cfgA, 3);
  const listed = execFileSync('ip', ['-n', ns, 'xfrm', 'policy', 'list'], { encoding: 'utf8' });
  assert.match(listed, /src 10\.1\.0\.0\/24 dst 10\.2\.0\.0\/24\s+dir out/);
  assert.match(listed, /dir fwd/);
  assert.match(listed, /reqid 3 mode tunnel/);
  await x.removePolicies(cfgA);
  assert.equal(execFileSync('ip', ['-n', ns, 'xfrm', 'policy', 'list'], { encoding: 'utf8' }).trim(), '');
});
