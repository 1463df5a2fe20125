/**
 * RFC 7296 §2.7, §3.3: the responder answers an SA offer with exactly one proposal, one the initiator offered, whose
 * SPI has the size of the SA being made; the responder picks the first of its own proposals that an offer of the
 * right protocol and SPI size allows. One check each serves IKE_SA_INIT, CHILD_SA creation and IKE_SA rekeying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../../src/common/errors.ts';
import { parseProposals } from '../../../../src/crypto/proposals.ts';
import { proposalsFor } from '../../../../src/ike/tasks/ike-init.ts';
import { acceptedProposal, chooseProposal } from '../../../../src/ike/tasks/task.ts';
import {
  NotifyType,
  PayloadType,
  ProtocolId,
  type Proposal,
  type SaPayload,
} from '../../../../src/ike/payloads/types.ts';

const ours = parseProposals('aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256', 'ike');
const other = parseProposals('aes128-sha1-modp3072', 'ike');
const sa = (proposals: Proposal[]): SaPayload => ({ type: PayloadType.SA, proposals });
const refused = (e: unknown) => e instanceof ProtocolError && e.wireCode === NotifyType.NO_PROPOSAL_CHOSEN;

test('one offered proposal is accepted, with its number, suite and SPI', () => {
  const spi = new Uint8Array(8).fill(7);
  const answer = proposalsFor([ours[1]!], ProtocolId.IKE, spi);
  answer[0]!.num = 2;
  const { chosen, spi: got } = acceptedProposal(sa(answer), ours, 8, 'rekey');
  assert.equal(chosen.num, 2);
  assert.equal(chosen.suite.ke, 19);
  assert.deepEqual(got, spi);
  // IKE_SA_INIT: the SPI size is not checked.
  assert.equal(
    acceptedProposal(sa(proposalsFor([ours[0]!], ProtocolId.IKE, new Uint8Array(0))), ours, undefined, 'init').chosen
      .suite.ke,
    14,
  );
});

test('none, two, one we did not offer, or a wrong SPI size: NO_PROPOSAL_CHOSEN', () => {
  const spi4 = new Uint8Array(4);
  assert.throws(() => acceptedProposal(sa([]), ours, undefined, 'x'), refused);
  assert.throws(() => acceptedProposal(sa(proposalsFor(ours, ProtocolId.IKE, spi4)), ours, 4, 'x'), refused);
  assert.throws(() => acceptedProposal(sa(proposalsFor(other, ProtocolId.IKE, spi4)), ours, 4, 'x'), /did not offer/);
  assert.throws(
    () => acceptedProposal(sa(proposalsFor([ours[0]!], ProtocolId.IKE, spi4)), ours, 8, 'x'),
    /SPI of 4 bytes/,
  );
});

test("responder: our first proposal that an offer allows, with that offer's SPI; others skipped", () => {
  const spi = (b: number) => new Uint8Array(8).fill(b);
  const offers = [
    ...proposalsFor(other, ProtocolId.IKE, spi(1)),
    ...proposalsFor([ours[0]!], ProtocolId.IKE, spi(2)),
    ...proposalsFor([ours[1]!], ProtocolId.IKE, spi(3)),
    ...proposalsFor([ours[0]!], ProtocolId.ESP, spi(4)),
  ].map((p, i) => ({ ...p, num: i + 1 }));
  const { chosen, spi: got } = chooseProposal(sa(offers), [ours[1]!, ours[0]!], ProtocolId.IKE, 8, 'IKE proposal');
  assert.equal(chosen.num, 3);
  assert.deepEqual(got, spi(3));
  // Wrong SPI size or protocol: not considered.
  assert.throws(() => chooseProposal(sa(offers), ours, ProtocolId.IKE, 4, 'IKE proposal'), refused);
  assert.throws(
    () => chooseProposal(sa(offers.slice(3)), ours, ProtocolId.IKE, undefined, 'IKE proposal'),
    /no acceptable IKE proposal/,
  );
  assert.equal(chooseProposal(sa(offers.slice(3)), ours, ProtocolId.ESP, undefined, 'x').chosen.num, 4);
  assert.throws(
    () => chooseProposal(sa(proposalsFor(other, ProtocolId.IKE, spi(1))), ours, ProtocolId.IKE, 8, 'x'),
    refused,
  );
});
