/**
 * NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP carry
 * SHA-1(SPIi | SPIr | IP address | port). `encap = yes` fakes our source hash, as charon does, so that both sides
 * float to port 4500 and use ESP-in-UDP.
 */
import { createHash } from 'node:crypto';
import { Writer, equal } from '../../common/bytes.ts';
import type { Rng } from '../../common/rng.ts';
import type { Endpoint } from '../dataplane.ts';
import { NotifyType, PayloadType, type IkeMessage } from '../payloads/types.ts';
import { ipToBytes } from '../../common/ip.ts';
import { all } from '../message/index.ts';
import { notifyPayload } from './task.ts';
import type { NotifyPayload } from '../payloads/types.ts';

export function natHash(spiI: bigint, spiR: bigint, ep: Endpoint): Uint8Array {
  const w = new Writer(40).u64(spiI).u64(spiR).bytes(ipToBytes(ep.address)).u16(ep.port);
  return new Uint8Array(createHash('sha1').update(w.finish()).digest());
}

/** The two NAT-D notifies for a message from `local` to `remote`. */
export function natNotifies(
  spiI: bigint,
  spiR: bigint,
  local: Endpoint,
  remote: Endpoint,
  fake: boolean,
  rng: Rng,
): NotifyPayload[] {
  const src = fake ? rng(20) : natHash(spiI, spiR, local);
  return [
    notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, src),
    notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, natHash(spiI, spiR, remote)),
  ];
}

/**
 * Evaluates the peer's NAT-D notifies of `msg` (sent from `remote` to `local`).
 * Returns undefined when the peer sent none (no NAT-T support).
 */
export function detectNat(
  msg: IkeMessage,
  spiI: bigint,
  spiR: bigint,
  local: Endpoint,
  remote: Endpoint,
): { natHere: boolean; natThere: boolean } | undefined {
  const notifies = all(msg, PayloadType.NOTIFY);
  const src = notifies.filter((n) => n.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP);
  const dst = notifies.find((n) => n.notifyType === NotifyType.NAT_DETECTION_DESTINATION_IP);
  if (!src.length || !dst) return undefined;
  const expectThere = natHash(spiI, spiR, remote);
  const expectHere = natHash(spiI, spiR, local);
  return {
    natThere: !src.some((n) => equal(n.data, expectThere)),
    natHere: !equal(dst.data, expectHere),
  };
}
