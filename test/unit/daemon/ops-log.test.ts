/**
 * The logger's two output formats: text (unchanged: `HH:MM:SS.mmm [TAG] message key=value`) and JSON lines, one
 * parseable object per record with time, level, subsystem tag, message and the fields; the format can be changed
 * later (a daemon reads it from its configuration file) and children follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, formatJsonLine } from '../../../src/common/log.ts';
import { ConfigError } from '../../../src/common/errors.ts';

function capture(opts: ConstructorParameters<typeof Logger>[0] = {}) {
  const lines: string[] = [];
  const log = new Logger({ ...opts, sink: (_r, text) => lines.push(text) });
  return { log, lines };
}

test('text format: time, [subsystem], message, key=value fields — as before', () => {
  const { log, lines } = capture({ fields: { device: 'moon' } });
  log.info('IKE', 'gw[1] established', { peer: '10.0.0.2:500', spi: new Uint8Array([0xab, 0x01]) });
  log.debug('IKE', 'not at level info');
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^\d{2}:\d{2}:\d{2}\.\d{3} \[IKE\] gw\[1\] established device=moon peer=10\.0\.0\.2:500 spi=ab01$/,
  );
});

test('json format: one parseable object per line with time, level, subsystem, message and the fields', () => {
  const { log, lines } = capture({ format: 'json', level: 'raw', fields: { device: 'moon' } });
  log.info('IKE', 'gw[1] established', { peer: '10.0.0.2:500', spi: new Uint8Array([0xab, 0x01]), n: 3 });
  log.error('CFG', 'reload failed', { error: new ConfigError('bad proposal'), seq: 2n ** 64n });
  // A field named like a core key must not overwrite it.
  log.debug('TNC', 'verdict', { level: 'fake', message: 'fake', subsystem: 'fake', time: 'fake' });
  log.dump('ESP', 'packet', new Uint8Array(40)); // multi-line text dump: still one JSON line
  assert.equal(lines.length, 4);
  const records = lines.map((l) => {
    assert.ok(!l.includes('\n'), 'one line per record');
    return JSON.parse(l) as Record<string, unknown>;
  });
  for (const r of records) {
    assert.equal(typeof r.time, 'string');
    assert.ok(!Number.isNaN(Date.parse(r.time as string)), 'ISO time');
    assert.equal(r.device, 'moon');
  }
  assert.deepEqual(
    records.map((r) => [r.level, r.subsystem]),
    [
      ['info', 'IKE'],
      ['error', 'CFG'],
      ['debug', 'TNC'],
      ['raw', 'ESP'],
    ],
  );
  assert.equal(records[0]!.message, 'gw[1] established');
  assert.equal(records[0]!.peer, '10.0.0.2:500');
  assert.equal(records[0]!.spi, 'ab01');
  assert.equal(records[0]!.n, 3);
  assert.deepEqual(records[1]!.error, { name: 'ConfigError', message: 'bad proposal', code: 'ERR_CONFIG' });
  assert.equal(records[1]!.seq, (2n ** 64n).toString());
  assert.equal(records[2]!.message, 'verdict');
  assert.equal(records[2]!.level, 'debug');
  assert.equal(records[2]!.field_level, 'fake');
  assert.equal(records[2]!.field_time, 'fake');
  assert.match(records[3]!.message as string, /^packet \(40 bytes\)\n0000: 00 00/);
});

test('a field that cannot be serialised costs that field only, never the line', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const line = formatJsonLine('2026-01-01T00:00:00.000Z', 'info', 'DMN', 'hello', { cyclic, ok: true });
  const r = JSON.parse(line) as Record<string, unknown>;
  assert.equal(r.message, 'hello');
  assert.equal(r.ok, true);
  assert.equal(r.cyclic, '[object Object]');
});

test('configure switches the format of a logger and of its children; json: true still means JSON', () => {
  const { log, lines } = capture();
  const child = log.child({ conn: 'gw' });
  child.info('CFG', 'first');
  log.configure({ format: 'json' });
  child.info('CFG', 'second');
  log.configure({ format: 'text' });
  log.info('DMN', 'third');
  assert.match(lines[0]!, /\[CFG\] first conn=gw$/);
  const second = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.deepEqual([second.subsystem, second.message, second.conn], ['CFG', 'second', 'gw']);
  assert.match(lines[2]!, /\[DMN\] third$/);
  const legacy = capture({ json: true });
  legacy.log.info('NET', 'x');
  assert.equal((JSON.parse(legacy.lines[0]!) as { subsystem: string }).subsystem, 'NET');
  assert.equal(legacy.log.format, 'json');
});
