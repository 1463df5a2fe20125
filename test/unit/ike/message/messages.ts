/** Realistic messages for the message, tshark and fuzz tests (values are made up; layouts are RFC 7296's). */
import type { IkeMessage, Payload } from '../../../../src/ike/payloads/types.ts';
import {
  ExchangeType,
  HeaderFlag,
  IdType,
  NotifyType,
  PayloadType,
  ProtocolId,
  TsType,
} from '../../../../src/ike/payloads/types.ts';

const fill = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

export function ikeSaInitRequest(): IkeMessage {
  const payloads: Payload[] = [
    {
      type: PayloadType.SA,
      proposals: [
        {
          num: 1,
          protocol: ProtocolId.IKE,
          spi: new Uint8Array(0),
          transforms: [
            { type: 1, id: 20, keyLength: 256 },
            { type: 2, id: 5 },
            { type: 4, id: 31 },
          ],
        },
      ],
    },
    { type: PayloadType.KE, group: 31, data: fill(32, 1) },
    { type: PayloadType.NONCE, data: fill(32, 2) },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: new Uint8Array(0),
      notifyType: NotifyType.NAT_DETECTION_SOURCE_IP,
      data: fill(20, 3),
    },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: new Uint8Array(0),
      notifyType: NotifyType.NAT_DETECTION_DESTINATION_IP,
      data: fill(20, 4),
    },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: new Uint8Array(0),
      notifyType: NotifyType.IKEV2_FRAGMENTATION_SUPPORTED,
      data: new Uint8Array(0),
    },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: new Uint8Array(0),
      notifyType: NotifyType.SIGNATURE_HASH_ALGORITHMS,
      data: new Uint8Array([0, 2, 0, 3, 0, 4]),
    },
  ];
  return {
    header: {
      spiI: 0x0123456789abcdefn,
      spiR: 0n,
      nextPayload: 0,
      version: 0x20,
      exchange: ExchangeType.IKE_SA_INIT,
      flags: HeaderFlag.INITIATOR,
      messageId: 0,
      length: 0,
    },
    encrypted: false,
    payloads,
  };
}

export function ikeAuthRequest(certBytes = 0): IkeMessage {
  const payloads: Payload[] = [
    { type: PayloadType.IDi, idType: IdType.ID_FQDN, data: new TextEncoder().encode('moon.strongswan.org') },
    ...(certBytes ? [{ type: PayloadType.CERT, encoding: 4, data: fill(certBytes, 9) } satisfies Payload] : []),
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: new Uint8Array(0),
      notifyType: NotifyType.INITIAL_CONTACT,
      data: new Uint8Array(0),
    },
    { type: PayloadType.CERTREQ, encoding: 4, data: fill(40, 8) },
    { type: PayloadType.IDr, idType: IdType.ID_FQDN, data: new TextEncoder().encode('sun.strongswan.org') },
    { type: PayloadType.AUTH, method: 2, data: fill(32, 5) },
    {
      type: PayloadType.SA,
      proposals: [
        {
          num: 1,
          protocol: ProtocolId.ESP,
          spi: fill(4, 6),
          transforms: [
            { type: 1, id: 20, keyLength: 256 },
            { type: 5, id: 0 },
          ],
        },
      ],
    },
    {
      type: PayloadType.TSi,
      selectors: [
        {
          tsType: TsType.TS_IPV4_ADDR_RANGE,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddr: new Uint8Array([10, 1, 0, 0]),
          endAddr: new Uint8Array([10, 1, 0, 255]),
        },
      ],
    },
    {
      type: PayloadType.TSr,
      selectors: [
        {
          tsType: TsType.TS_IPV4_ADDR_RANGE,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddr: new Uint8Array([10, 2, 0, 0]),
          endAddr: new Uint8Array([10, 2, 0, 255]),
        },
      ],
    },
  ];
  return {
    header: {
      spiI: 0x0123456789abcdefn,
      spiR: 0xfedcba9876543210n,
      nextPayload: 0,
      version: 0x20,
      exchange: ExchangeType.IKE_AUTH,
      flags: HeaderFlag.INITIATOR,
      messageId: 1,
      length: 0,
    },
    encrypted: true,
    payloads,
  };
}
