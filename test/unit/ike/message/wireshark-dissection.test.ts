/**
 * Wireshark's IKEv2 dissector (tshark) as an independent reader of our bytes: every payload dissected, no malformed
 * or expert errors; SK and SKF payloads decrypted by tshark with the test double's keys and their ICV "[correct]",
 * which checks our AAD layout (RFC 7296 §3.14, RFC 5282, RFC 7383 §2.5) against another implementation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFragments, encodeMessage } from '../../../../src/ike/message/index.ts';
import type { IkeMessage } from '../../../../src/ike/payloads/types.ts';
import { PayloadType } from '../../../../src/ike/payloads/types.ts';
import { requires } from '../../../support/env.ts';
import { dissect, type IkeDecryptionRow } from '../../../support/pcap.ts';
import { payloadArb } from '../payloads/arbitraries.ts';
import { ikeAuthRequest, ikeSaInitRequest } from './messages.ts';
import { GcmSkDouble, TEST_KEY, TEST_SALT } from './sk-double.ts';

function keysFor(m: IkeMessage): IkeDecryptionRow {
  const k = new Uint8Array([...TEST_KEY, ...TEST_SALT]);
  return {
    spiI: m.header.spiI,
    spiR: m.header.spiR,
    skEi: k,
    skEr: k,
    encr: 'AES-GCM-256 with 16 octet ICV [RFC5282]',
    integ: 'NONE [RFC4306]',
  };
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

test('tshark dissects an IKE_SA_INIT request payload by payload', (t) => {
  if (!requires(t, { commands: ['tshark'] })) return;
  const d = dissect([{ payload: encodeMessage(ikeSaInitRequest()) }]);
  assert.equal(d.status, 0);
  assert.deepEqual(d.problems, []);
  assert.match(d.text, /Exchange type: IKE_SA_INIT \(34\)/);
  assert.match(d.text, /Transform Attribute \(t=14,l=2\): Key Length: 256/);
  assert.match(d.text, /DH Group #: Curve25519 \(31\)/);
  assert.match(d.text, /Notify Message Type: NAT_DETECTION_DESTINATION_IP \(16389\)/);
  assert.match(d.text, /Supported Signature Hash Algorithm: SHA2-512 \(4\)/);
  assert.equal(count(d.text, /^ {4}Payload: /gm), ikeSaInitRequest().payloads.length);
});

test('tshark decrypts our SK payload and finds the ICV correct', (t) => {
  if (!requires(t, { commands: ['tshark'] })) return;
  const m = ikeAuthRequest();
  const d = dissect([{ payload: encodeMessage(m, new GcmSkDouble()), sport: 4500, dport: 4500 }], [keysFor(m)]);
  assert.deepEqual(d.problems, []);
  assert.match(d.text, /Integrity Checksum Data: [0-9a-f]+ \(16 bytes\)\[correct\]/);
  assert.match(d.text, /ID_FQDN: moon\.strongswan\.org/);
  assert.match(d.text, /Starting Addr: 10\.2\.0\.0/);
  assert.equal(count(d.text, /^ {16}Payload: /gm), m.payloads.length);
});

test('tshark reads our SKF fragments: numbers, totals and ICVs', (t) => {
  if (!requires(t, { commands: ['tshark'] })) return;
  // Bulk in a Vendor ID: a CERT of filler bytes would (rightly) upset the X.509 dissector.
  const m = ikeAuthRequest();
  m.payloads.push({ type: PayloadType.VENDOR, data: new Uint8Array(1500).fill(0x5a) });
  const frags = encodeFragments(m, new GcmSkDouble(), 576);
  const d = dissect(
    frags.map((payload) => ({ payload })),
    [keysFor(m)],
  );
  assert.deepEqual(d.problems, []);
  assert.equal(count(d.text, /Fragment Number: \d+/g), frags.length);
  assert.equal(count(d.text, new RegExp(`Total Fragments: ${frags.length}\\b`, 'g')), frags.length);
  assert.equal(count(d.text, /\(16 bytes\)\[correct\]/g), frags.length);
});

test('tshark finds nothing malformed in random messages (property, one capture)', (t) => {
  if (!requires(t, { commands: ['tshark'] })) return;
  // Random EAP messages, certificates, CA lists and DN identities would rightly upset the EAP and X.509 dissectors.
  const skip = new Set<number>([PayloadType.EAP, PayloadType.CERT, PayloadType.CERTREQ]);
  const plain = payloadArb.filter((p) => !skip.has(p.type) && !('idType' in p && (p.idType === 9 || p.idType === 10)));
  const msgs = fc.sample(fc.array(plain, { minLength: 1, maxLength: 6 }), { numRuns: 60, seed: 7 });
  const d = dissect(msgs.map((payloads) => ({ payload: encodeMessage({ ...ikeSaInitRequest(), payloads }) })));
  assert.deepEqual(d.problems, []);
  assert.equal(count(d.text, /^Internet Security Association and Key Management Protocol/gm), msgs.length);
});
