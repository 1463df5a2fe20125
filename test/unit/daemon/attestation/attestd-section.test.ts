/** The attestd { } section of swanctl.conf: defaults, validation, and per-module options typed as modules expect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings } from '../../../../src/daemon/config/index.ts';
import { Attestation, parseAttestation } from '../../../../src/daemon/attestation.ts';
import { silentLogger } from '../../../../src/common/log.ts';
import type { Credentials } from '../../../../src/daemon/config/index.ts';

const section = (text: string) => parseSettings(text).sections.get('attestd');

test('defaults: TLS 1.2, PT-EAP inside TTLS, no message cap, no collectors or verifiers', () => {
  const c = parseAttestation(undefined);
  assert.equal(c.eap.tlsMax, 'TLSv1.2');
  assert.equal(c.eap.phase2, 'pt-eap');
  assert.equal(c.eap.maxMessageCount, 0);
  assert.deepEqual(c.tnc.imcs, []);
  assert.equal(c.tnc.policy, 'default');
});

test('the README example loads: lists, quarantine selectors, yes/no and numbers for module options', async () => {
  const s = section(`attestd {
  eap {
    cert = a.pem
    tls_max = 1.3
    max_message_count = 0
  }
  tnc {
    imcs = os, test
    imvs = os, test
    policy = default
    isolate_ts = 10.2.0.9/32
  }
  imc-test {
    command = allow
  }
  imv-os {
    forwardingOff = yes
  }
  imv-test {
    rounds = 2
  }
}`);
  const c = parseAttestation(s);
  assert.equal(c.eap.cert, 'a.pem');
  assert.equal(c.eap.tlsMax, 'TLSv1.3');
  assert.deepEqual(c.tnc.imcs, ['os', 'test']);
  assert.deepEqual(c.tnc.isolateTs, ['10.2.0.9/32']);
  assert.deepEqual(c.modules['imv-os'], { forwardingOff: true });
  assert.deepEqual(c.modules['imv-test'], { rounds: 2 });
  // The modules accept these options (they reject wrongly typed ones).
  const a = new Attestation(c, {} as Credentials, silentLogger);
  await a.load();
  assert.equal(a.attesting, true);
});

test('invalid values are refused with the key named', () => {
  assert.throws(
    () => parseAttestation(section('attestd {\n  eap {\n    tls_max = 1.1\n  }\n}')),
    /attestd\.eap\.tls_max: '1\.1'/,
  );
  assert.throws(
    () => parseAttestation(section('attestd {\n  eap {\n    phase2 = chap\n  }\n}')),
    /attestd\.eap\.phase2/,
  );
  assert.throws(() => parseAttestation(section('attestd {\n  eap {\n    fragment_size = -3\n  }\n}')), /fragment_size/);
});
