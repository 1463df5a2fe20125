/**
 * Message rules (strongSwan message.c tables, RFC 7296 §1.2–§1.5, RFC 9242): good and bad messages per exchange,
 * and the charon generation order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../../src/common/errors.ts';
import { checkRules, sortPayloads } from '../../../../src/ike/message/index.ts';
import type { IkeMessage, Payload } from '../../../../src/ike/payloads/types.ts';
import { ExchangeType, HeaderFlag, NotifyType, PayloadType } from '../../../../src/ike/payloads/types.ts';
import { ikeAuthRequest, ikeSaInitRequest } from './messages.ts';

const E = new Uint8Array(0);
const N = (notifyType: number): Payload => ({ type: PayloadType.NOTIFY, protocol: 0, spi: E, notifyType, data: E });
const sa: Payload = { type: PayloadType.SA, proposals: [] };
const ke: Payload = { type: PayloadType.KE, group: 31, data: E };
const nonce: Payload = { type: PayloadType.NONCE, data: new Uint8Array(16) };
const idi: Payload = { type: PayloadType.IDi, idType: 2, data: E };
const idr: Payload = { type: PayloadType.IDr, idType: 2, data: E };
const auth: Payload = { type: PayloadType.AUTH, method: 2, data: E };
const eap: Payload = { type: PayloadType.EAP, data: new Uint8Array([1, 1, 0, 4]) };
const tsi: Payload = { type: PayloadType.TSi, selectors: [] };
const tsr: Payload = { type: PayloadType.TSr, selectors: [] };
const cp: Payload = { type: PayloadType.CP, cfgType: 1, attributes: [] };
const del: Payload = { type: PayloadType.DELETE, protocol: 1, spis: [] };
const vid: Payload = { type: PayloadType.VENDOR, data: E };
const cert: Payload = { type: PayloadType.CERT, encoding: 4, data: E };

function msg(
  exchange: number,
  response: boolean,
  payloads: Payload[],
  encrypted = exchange !== ExchangeType.IKE_SA_INIT,
): IkeMessage {
  const flags = response ? HeaderFlag.RESPONSE : HeaderFlag.INITIATOR;
  return {
    header: { spiI: 1n, spiR: 0n, nextPayload: 0, version: 0x20, exchange, flags, messageId: 0, length: 0 },
    encrypted,
    payloads,
  };
}

function rejects(m: IkeMessage, mentions: string): void {
  assert.throws(
    () => checkRules(m),
    (e: unknown) =>
      e instanceof ProtocolError && e.wireCode === NotifyType.INVALID_SYNTAX && e.message.includes(mentions),
    mentions,
  );
}

const { IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, IKE_INTERMEDIATE } = ExchangeType;

test('IKE_SA_INIT request: SA, KE, Ni once each; notifies and vendor IDs anywhere', () => {
  checkRules(ikeSaInitRequest());
  checkRules(msg(IKE_SA_INIT, false, [N(NotifyType.COOKIE), sa, ke, nonce, vid]));
  rejects(msg(IKE_SA_INIT, false, [sa, nonce]), 'KE payload missing');
  rejects(msg(IKE_SA_INIT, false, [sa, sa, ke, nonce]), 'SA payload 2 times');
  rejects(msg(IKE_SA_INIT, false, [sa, ke, nonce, idi]), 'IDi payload not allowed');
  rejects(msg(IKE_SA_INIT, false, [sa, ke, nonce], true), 'must not be encrypted');
  // An unknown non-critical payload is ignored.
  checkRules(msg(IKE_SA_INIT, false, [sa, ke, nonce, { type: 200, unknown: true, critical: false, data: E }]));
});

test('IKE_SA_INIT response: SA, KE, Nr (+CERTREQ) or a notify-only error/COOKIE answer', () => {
  checkRules(
    msg(IKE_SA_INIT, true, [
      sa,
      ke,
      nonce,
      N(NotifyType.NAT_DETECTION_SOURCE_IP),
      { type: PayloadType.CERTREQ, encoding: 4, data: E },
    ]),
  );
  checkRules(msg(IKE_SA_INIT, true, [N(NotifyType.INVALID_KE_PAYLOAD)]));
  checkRules(msg(IKE_SA_INIT, true, [N(NotifyType.COOKIE)]));
  checkRules(msg(IKE_SA_INIT, true, [N(NotifyType.NO_PROPOSAL_CHOSEN), vid]));
  rejects(
    msg(IKE_SA_INIT, true, [N(NotifyType.NAT_DETECTION_SOURCE_IP)]),
    'an error, COOKIE or REDIRECT notify required',
  );
  rejects(msg(IKE_SA_INIT, true, []), 'missing');
  rejects(msg(IKE_SA_INIT, true, [sa, ke]), 'NONCE payload missing');
});

test('IKE_AUTH request: IDi round (optionally with a child), EAP rounds, final AUTH', () => {
  checkRules(ikeAuthRequest());
  checkRules(msg(IKE_AUTH, false, [idi, cert, N(NotifyType.EAP_ONLY_AUTHENTICATION), idr, cp, sa, tsi, tsr]));
  checkRules(msg(IKE_AUTH, false, [idi, auth]));
  checkRules(msg(IKE_AUTH, false, [eap]));
  checkRules(msg(IKE_AUTH, false, [auth, N(NotifyType.ANOTHER_AUTH_FOLLOWS)]));
  rejects(msg(IKE_AUTH, false, [idi, idi, auth]), 'IDi payload 2 times');
  rejects(msg(IKE_AUTH, false, [idi, auth, sa, tsi]), 'TSr payload missing next to SA, TSi');
  rejects(msg(IKE_AUTH, false, [idi, auth, auth]), 'AUTH payload 2 times');
  rejects(msg(IKE_AUTH, false, [idi, auth], false), 'must be encrypted');
  rejects(msg(IKE_AUTH, false, [ke, idi]), 'KE payload not allowed');
  rejects(msg(IKE_AUTH, false, [N(NotifyType.INITIAL_CONTACT)]), 'missing');
});

test('IKE_AUTH response: IDr with AUTH and/or EAP, EAP rounds, final AUTH with child, error notifies', () => {
  checkRules(msg(IKE_AUTH, true, [idr, cert, auth, sa, tsi, tsr]));
  checkRules(msg(IKE_AUTH, true, [idr, cert, auth, eap]));
  checkRules(msg(IKE_AUTH, true, [idr, eap]));
  checkRules(msg(IKE_AUTH, true, [eap]));
  checkRules(msg(IKE_AUTH, true, [auth, cp, sa, tsi, tsr]));
  checkRules(msg(IKE_AUTH, true, [idr, auth, N(NotifyType.TS_UNACCEPTABLE)]));
  checkRules(msg(IKE_AUTH, true, [N(NotifyType.AUTHENTICATION_FAILED)]));
  rejects(msg(IKE_AUTH, true, [idr]), 'one of AUTH, EAP payloads required');
  rejects(msg(IKE_AUTH, true, [N(NotifyType.INITIAL_CONTACT)]), 'missing');
  rejects(msg(IKE_AUTH, true, [idr, auth, idi]), 'IDi payload not allowed');
});

test('CREATE_CHILD_SA: child create/rekey, IKE rekey, error answers', () => {
  checkRules(msg(CREATE_CHILD_SA, false, [sa, nonce, tsi, tsr]));
  checkRules(msg(CREATE_CHILD_SA, false, [N(NotifyType.REKEY_SA), sa, nonce, ke, tsi, tsr]));
  checkRules(msg(CREATE_CHILD_SA, false, [sa, nonce, ke]));
  checkRules(msg(CREATE_CHILD_SA, true, [sa, nonce, ke, tsi, tsr, N(NotifyType.ADDITIONAL_TS_POSSIBLE)]));
  checkRules(msg(CREATE_CHILD_SA, true, [sa, nonce, ke]));
  checkRules(msg(CREATE_CHILD_SA, true, [N(NotifyType.NO_PROPOSAL_CHOSEN)]));
  rejects(msg(CREATE_CHILD_SA, false, [sa, nonce]), 'KE payload missing');
  rejects(msg(CREATE_CHILD_SA, false, [sa, ke, tsi, tsr]), 'NONCE payload missing');
  rejects(msg(CREATE_CHILD_SA, false, [sa, nonce, nonce, tsi, tsr]), 'NONCE payload 2 times');
  rejects(msg(CREATE_CHILD_SA, true, [N(NotifyType.REKEY_SA)]), 'an error notify required');
});

test('INFORMATIONAL and IKE_INTERMEDIATE', () => {
  checkRules(msg(INFORMATIONAL, false, []));
  checkRules(msg(INFORMATIONAL, false, [del, N(NotifyType.INITIAL_CONTACT)]));
  checkRules(msg(INFORMATIONAL, true, [cp]));
  rejects(msg(INFORMATIONAL, false, [sa]), 'SA payload not allowed');
  rejects(msg(INFORMATIONAL, true, [], false), 'must be encrypted');
  checkRules(msg(IKE_INTERMEDIATE, false, [ke]));
  checkRules(msg(IKE_INTERMEDIATE, true, [ke, N(NotifyType.INITIAL_CONTACT)]));
  checkRules(msg(IKE_INTERMEDIATE, true, []));
  rejects(msg(IKE_INTERMEDIATE, false, [ke, ke]), 'KE payload 2 times');
  rejects(msg(99, false, []), 'no rules');
});

test('sortPayloads follows charon: IKE_SA_INIT request and IKE_AUTH request orders', () => {
  const natS = N(NotifyType.NAT_DETECTION_SOURCE_IP);
  const natD = N(NotifyType.NAT_DETECTION_DESTINATION_IP);
  const frag = N(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
  const cookie = N(NotifyType.COOKIE);
  const unknown: Payload = { type: 200, unknown: true, critical: false, data: E };
  const sorted = sortPayloads(IKE_SA_INIT, false, [vid, frag, natD, nonce, unknown, natS, ke, sa, cookie]);
  assert.deepEqual(sorted, [cookie, sa, ke, nonce, natS, natD, frag, vid, unknown]);
  const ic = N(NotifyType.INITIAL_CONTACT);
  const mobike = N(NotifyType.MOBIKE_SUPPORTED);
  const transport = N(NotifyType.USE_TRANSPORT_MODE);
  assert.deepEqual(sortPayloads(IKE_AUTH, false, [tsr, tsi, sa, mobike, auth, idr, ic, cert, idi, transport]), [
    idi,
    cert,
    ic,
    idr,
    auth,
    transport,
    sa,
    tsi,
    tsr,
    mobike,
  ]);
  assert.deepEqual(sortPayloads(IKE_AUTH, true, [tsr, tsi, sa, auth, cert, idr]), [idr, cert, auth, sa, tsi, tsr]);
  assert.deepEqual(
    sortPayloads(CREATE_CHILD_SA, false, [tsr, tsi, ke, nonce, sa, N(NotifyType.REKEY_SA)]).map((p) => p.type),
    [PayloadType.NOTIFY, PayloadType.SA, PayloadType.NONCE, PayloadType.KE, PayloadType.TSi, PayloadType.TSr],
  );
  assert.deepEqual(sortPayloads(INFORMATIONAL, false, [cp, del, ic]), [ic, del, cp]);
  // Every sorted list is a permutation of its input.
  const input = [vid, frag, natD, nonce, natS, ke, sa];
  assert.equal(sortPayloads(99, false, input).length, input.length);
});
