/**
 * The attestation collector sends Simple Component Evidence pre-encoded (src/imc/attest/index.ts `preEncoder`):
 * the PA-TNC message bytes are exactly those of the typed attributes, each attribute object is encoded once, and
 * other attributes pass through untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preEncoder } from '../../../../src/imc/attest/index.ts';
import { decodePaMessage, encodePaMessage } from '../../../../src/tnc/pa/index.ts';
import type { PaAttribute } from '../../../../src/tnc/pa/index.ts';
import { IMA_COMPONENT, BIOS_COMPONENT, PTS_UNKNOWN_TIME, ptsPaRegistry } from '../../../../src/pts/index.ts';
import { PtsCompEvidValidation, PtsMeasAlgo, PtsPcrTransform } from '../../../../src/pts/constants.ts';

const sce = (i: number, uri?: string) =>
  ({
    kind: 'tcg/pts-simple-comp-evid',
    noskip: false,
    depth: 0,
    name: uri === undefined ? BIOS_COMPONENT : IMA_COMPONENT,
    pcr: uri === undefined ? 0 : 10,
    hashAlgorithm: PtsMeasAlgo.SHA256,
    transform: PtsPcrTransform.MATCH,
    time: PTS_UNKNOWN_TIME,
    validation: uri === undefined ? PtsCompEvidValidation.NONE : PtsCompEvidValidation.PASSED,
    ...(uri === undefined ? {} : { policyUri: uri }),
    measurement: new Uint8Array(32).fill(i),
  }) as PaAttribute;

test('pre-encoded evidence gives the same PA-TNC bytes; each attribute object is encoded once', () => {
  const other = { kind: 'tcg/pts-meas-algo-selection', noskip: false, algorithms: PtsMeasAlgo.SHA256 } as PaAttribute;
  const attrs = [other, sce(1), sce(2, 'sha256:/usr/bin/ä x'), sce(3, 'ima-ng:')];
  const pre = preEncoder();
  const out = pre(attrs);
  assert.equal(out[0], other, 'not evidence: passed as is');
  for (const a of out.slice(1)) assert.equal(a.kind, 'unknown');
  const typed = encodePaMessage({ messageId: 5, attributes: attrs }, ptsPaRegistry);
  assert.deepEqual(encodePaMessage({ messageId: 5, attributes: out }, ptsPaRegistry), typed);
  // decoded by a verifier: the typed attributes again
  assert.deepEqual(decodePaMessage(typed, ptsPaRegistry).attributes, attrs);
  const again = pre(attrs);
  for (let i = 1; i < attrs.length; i++) assert.equal(again[i], out[i], 'the same object: encoded once');
  assert.notEqual(pre([sce(1)])[0], out[1], 'an equal but new attribute object is encoded anew');
});
