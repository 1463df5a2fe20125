// Command and response framing (TPM 2.0 Part 1 §18): known bytes, sessions, and malformed responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError, fromHex, toHex } from '../../../src/common/index.ts';
import { decodeResponse, encodeCommand, execute } from '../../../src/tpm/command.ts';
import { GetRandom, PCR_Extend, Load } from '../../../src/tpm/commands.ts';
import { TpmError } from '../../../src/tpm/rc.ts';
import { TPMA_SESSION } from '../../../src/tpm/types/basic.ts';
import { TPM_ALG } from '../../../src/tpm/types/constants.ts';

test('TPM2_GetRandom(16) is 80 01 | 0000000c | 0000017b | 0010', () => {
  assert.equal(toHex(encodeCommand(GetRandom, { params: { bytesRequested: 16 } })), '80010000000c0000017b0010');
});

test('TPM2_PCR_Extend carries a handle and a password auth area (tag 0x8002, authSize back-patched)', () => {
  const b = encodeCommand(PCR_Extend, {
    handles: [16],
    auths: [
      {
        sessionHandle: 0x40000009,
        nonce: new Uint8Array(0),
        sessionAttributes: TPMA_SESSION.of('continueSession'),
        hmac: new Uint8Array(0),
      },
    ],
    params: { digests: [{ hashAlg: TPM_ALG.SHA1, digest: new Uint8Array(20) }] },
  });
  const hex = toHex(b);
  assert.equal(hex.slice(0, 4), '8002');
  assert.equal(parseInt(hex.slice(4, 12), 16), b.byteLength);
  assert.equal(hex.slice(12, 20), '00000182');
  assert.equal(hex.slice(20, 28), '00000010');
  assert.equal(hex.slice(28, 36), '00000009'); // authorizationSize
  assert.equal(hex.slice(36, 54), '400000090000010000');
  assert.equal(hex.slice(54), '00000001' + '0004' + '00'.repeat(20));
});

test('the number of handles and auths is checked before sending', () => {
  assert.throws(() => encodeCommand(PCR_Extend, { handles: [], params: { digests: [] } }), ParseError);
  assert.throws(() => encodeCommand(PCR_Extend, { handles: [1], params: { digests: [] } }), /authorizations/);
});

test('a response with an error code becomes a TpmError naming it', async () => {
  const rsp = fromHex('8001' + '0000000a' + '000001c4');
  await assert.rejects(
    execute(async () => rsp, GetRandom, { params: { bytesRequested: 8 } }),
    (e: unknown) => e instanceof TpmError && e.message.includes('TPM_RC_VALUE (parameter 1)'),
  );
});

test('responses: parameters decoded, size field and trailing data checked', () => {
  const ok = fromHex('8001' + '00000010' + '00000000' + '0004' + 'deadbeef');
  assert.equal(toHex(decodeResponse(GetRandom, ok, 0).params.randomBytes), 'deadbeef');
  const badSize = fromHex('8001' + '00000011' + '00000000' + '0004' + 'deadbeef');
  assert.throws(() => decodeResponse(GetRandom, badSize, 0), /responseSize/);
  const trailing = fromHex('8001' + '00000011' + '00000000' + '0004' + 'deadbeef00');
  assert.throws(() => decodeResponse(GetRandom, trailing, 0), /trailing/);
});

test('responses with sessions: handle, parameterSize, parameters, then one auth per session', () => {
  // TPM2_Load response: handle 0x80000001, parameterSize 6, name (u16 4 + 4 bytes), one auth (nonce 0, attrs 01, hmac 0).
  const body = '80000001' + '00000006' + '000400010203' + '0000' + '01' + '0000';
  const len = (10 + body.length / 2).toString(16).padStart(8, '0');
  const r = decodeResponse(Load, fromHex('8002' + len + '00000000' + body), 1);
  assert.equal(r.handle, 0x80000001);
  assert.equal(toHex(r.params.name), '00010203');
  assert.equal(r.auths.length, 1);
  assert.equal(r.auths[0]?.sessionAttributes.continueSession, true);
  assert.throws(
    () => decodeResponse(Load, fromHex('8002' + len + '00000000' + body), 2),
    /1 authorizations for 2 sessions/,
  );
});
