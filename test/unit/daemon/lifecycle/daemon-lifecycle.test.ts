/**
 * The daemon's life cycle over real UDP on loopback addresses: start two daemons from swanctl.conf files, bring a
 * connection up through the control socket, reload (unchanged connection keeps its SA, a changed one loses it),
 * and stop (SAs deleted on the peer too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../../../src/daemon/daemon.ts';
import { controlRequest } from '../../../../src/daemon/control.ts';
import type { SaInfo } from '../../../../src/ike/engine.ts';
import { pskConf } from '../psk-conf.ts';
import { isRoot, inCI } from '../../../support/env.ts';

function conf(me: string, peer: string, myId: string, peerId: string, proposals?: string): string {
  return pskConf(me, peer, myId, peerId, proposals ? { proposals } : {});
}

test('daemon start, initiate via control socket, reload keeping and dropping SAs, stop with DELETE', async (t) => {
  // Ports 500/4500 on 127.0.0.2/3 need root (privileged ports); the unprivileged path is covered by exchange tests.
  if (!isRoot()) {
    if (inCI) throw new Error('CI=true but not root');
    t.skip('needs root to bind port 500');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'attestd-life-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, 'swanctl.conf'), conf('127.0.0.2', '127.0.0.3', 'a.example', 'b.example'));
  writeFileSync(join(b, 'swanctl.conf'), conf('127.0.0.3', '127.0.0.2', 'b.example', 'a.example'));
  const da = new Daemon({ config: join(a, 'swanctl.conf'), control: join(dir, 'a.sock'), dataPlane: 'none', logLevel: 'silent' });
  const db = new Daemon({ config: join(b, 'swanctl.conf'), control: join(dir, 'b.sock'), dataPlane: 'none', logLevel: 'silent' });
  await db.start();
  await da.start();
  t.after(async () => {
    await da.stop().catch(() => {});
    await db.stop().catch(() => {});
  });
  assert.equal(statSync(join(dir, 'a.sock')).mode & 0o777, 0o600, 'control socket is root-only');

  const up = (await controlRequest(join(dir, 'a.sock'), { cmd: 'initiate', ike: 'gw' })) as SaInfo;
  assert.equal(up.state, 'ESTABLISHED');
  assert.equal(up.children.length, 1);
  const listB = (await controlRequest(join(dir, 'b.sock'), { cmd: 'list-sas' })) as SaInfo[];
  assert.equal(listB.length, 1);
  assert.equal(listB[0]!.peerIds[0], 'a.example');

  // Reload with the same file: the SA stays.
  const same = (await controlRequest(join(dir, 'a.sock'), { cmd: 'reload' })) as { kept: number; deleted: number };
  assert.deepEqual(same, { kept: 1, deleted: 0 });
  // Change the connection's proposals: the SA is deleted (on the peer too).
  writeFileSync(join(a, 'swanctl.conf'), conf('127.0.0.2', '127.0.0.3', 'a.example', 'b.example', 'aes128gcm16-prfsha256-ecp256,aes256gcm16-prfsha256-x25519'));
  const changed = (await controlRequest(join(dir, 'a.sock'), { cmd: 'reload' })) as { kept: number; deleted: number };
  assert.deepEqual(changed, { kept: 0, deleted: 1 });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(join(dir, 'b.sock'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);

  // Up again with the new proposals, then stop A: B learns of it through DELETE.
  const again = (await controlRequest(join(dir, 'a.sock'), { cmd: 'initiate', ike: 'gw' })) as SaInfo;
  assert.notEqual(again.id, up.id, 'a new IKE SA');
  assert.equal(again.state, 'ESTABLISHED');
  await da.stop();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(((await controlRequest(join(dir, 'b.sock'), { cmd: 'list-sas' })) as SaInfo[]).length, 0);
  await assert.rejects(controlRequest(join(dir, 'a.sock'), { cmd: 'list-sas' }, 1000), /cannot reach/);
});

test('control socket rejects malformed and unknown requests with an error answer', async (t) => {
  if (!isRoot()) {
    if (inCI) throw new Error('CI=true but not root');
    t.skip('needs root to bind port 500');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'attestd-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'swanctl.conf'), conf('127.0.0.4', '127.0.0.5', 'a.example', 'b.example'));
  const d = new Daemon({ config: join(dir, 'swanctl.conf'), control: join(dir, 'c.sock'), dataPlane: 'none', logLevel: 'silent' });
  await d.start();
  t.after(() => d.stop());
  await assert.rejects(controlRequest(join(dir, 'c.sock'), { cmd: 'no-such-thing' }), /unknown command/);
  await assert.rejects(controlRequest(join(dir, 'c.sock'), { cmd: 'initiate', ike: 'nope' }), /no connection named nope/);
  const stats = (await controlRequest(join(dir, 'c.sock'), { cmd: 'stats' })) as { engine: { received: number } };
  assert.equal(stats.engine.received, 0);
});
