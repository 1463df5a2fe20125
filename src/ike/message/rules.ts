/**
 * What each exchange may contain (STYLE practice 3), after strongSwan's payload rule tables
 * (src/libcharon/encoding/message.c): per exchange × request/response, alternative message shapes with min/max
 * counts per payload type and whether they travel inside SK; and the order in which payloads are generated.
 *
 * Like charon, Notify and Vendor ID payloads are accepted almost anywhere, and a known payload type absent from a
 * shape is ignored — except SA, KE, Nonce, IDi, IDr, AUTH, TSi, TSr, whose counts are always enforced (absent from
 * a shape means "must not appear"). Unknown (non-critical) payloads are ignored.
 */
import { ProtocolError } from '../../common/errors.ts';
import { nameOf } from '../../common/names.ts';
import { isUnknown } from '../payloads/chain.ts';
import { isErrorNotify } from '../payloads/notify.ts';
import type { IkeMessage, Payload } from '../payloads/types.ts';
import {
  ExchangeType,
  ExchangeTypeNames,
  HeaderFlag,
  NotifyType,
  PayloadType,
  PayloadTypeNames,
} from '../payloads/types.ts';

/** Notify types used in the order tables that the shared model does not name (RFC 4555 MOBIKE, RFC 4478). */
export const OrderNotify = {
  ADDITIONAL_IP4_ADDRESS: 16397,
  ADDITIONAL_IP6_ADDRESS: 16398,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  AUTH_LIFETIME: 16403,
  REDIRECT: 16407,
} as const;

/** Charon's limits (message.c MAX_*_PAYLOADS). */
export const MAX_NOTIFY = 20;
export const MAX_VID = 20;
export const MAX_CERT = 8;
export const MAX_CERTREQ = 20;
export const MAX_DELETE = 20;

export interface PayloadRule {
  type: number;
  min: number;
  max: number;
  /** Must travel inside SK (true) or in the clear (false). */
  encrypted: boolean;
}

export interface MessageShape {
  name: string;
  payloads: readonly PayloadRule[];
  /** Types that appear all together or not at all (a Child SA: SA, TSi, TSr). */
  together?: readonly number[];
  /** At least one of these types must appear. */
  anyOf?: readonly number[];
  /** At least one Notify must be of a type this accepts (error-only answers). */
  notifyRequired?: { what: string; test: (notifyType: number) => boolean };
}

export interface MessageRules {
  exchange: number;
  response: boolean;
  /** The whole message travels in SK. */
  encrypted: boolean;
  shapes: readonly MessageShape[];
}

/** Types whose counts are always enforced: absent from a shape means at most 0. */
export const STRICT_TYPES: ReadonlySet<number> = new Set([
  PayloadType.SA,
  PayloadType.KE,
  PayloadType.NONCE,
  PayloadType.IDi,
  PayloadType.IDr,
  PayloadType.AUTH,
  PayloadType.TSi,
  PayloadType.TSr,
]);

const P = PayloadType;
const rule = (type: number, min: number, max: number, encrypted = true): PayloadRule => ({ type, min, max, encrypted });
const N = (enc = true, min = 0) => rule(P.NOTIFY, min, MAX_NOTIFY, enc);
const V = (enc = true) => rule(P.VENDOR, 0, MAX_VID, enc);
const CHILD = [P.SA, P.TSi, P.TSr] as const;
/** CREATE_CHILD_SA, both directions (RFC 7296 §1.3.1, §1.3.2, §1.3.3). */
const childSaPayloads = [
  N(),
  rule(P.SA, 1, 1),
  rule(P.NONCE, 1, 1),
  rule(P.KE, 0, 1),
  rule(P.TSi, 1, 1),
  rule(P.TSr, 1, 1),
  rule(P.CP, 0, 1),
  V(),
];
const ikeRekey: MessageShape = {
  name: 'IKE SA rekey',
  payloads: [N(), rule(P.SA, 1, 1), rule(P.NONCE, 1, 1), rule(P.KE, 1, 1), V()],
};
const errorOnly: MessageShape = {
  name: 'error notify',
  payloads: [N(true, 1), V()],
  notifyRequired: { what: 'an error notify', test: isErrorNotify },
};

export const messageRules: readonly MessageRules[] = [
  {
    exchange: ExchangeType.IKE_SA_INIT,
    response: false,
    encrypted: false,
    shapes: [
      {
        name: 'IKE_SA_INIT request',
        payloads: [N(false), rule(P.SA, 1, 1, false), rule(P.KE, 1, 1, false), rule(P.NONCE, 1, 1, false), V(false)],
      },
    ],
  },
  {
    exchange: ExchangeType.IKE_SA_INIT,
    response: true,
    encrypted: false,
    shapes: [
      {
        name: 'SA, KE, Nr',
        payloads: [
          N(false),
          rule(P.SA, 1, 1, false),
          rule(P.KE, 1, 1, false),
          rule(P.NONCE, 1, 1, false),
          rule(P.CERTREQ, 0, MAX_CERTREQ, false),
          V(false),
        ],
      },
      {
        name: 'error, COOKIE or REDIRECT notify',
        payloads: [N(false, 1), V(false)],
        notifyRequired: {
          what: 'an error, COOKIE or REDIRECT notify',
          test: (t) => isErrorNotify(t) || t === NotifyType.COOKIE || t === OrderNotify.REDIRECT,
        },
      },
    ],
  },
  {
    exchange: ExchangeType.IKE_AUTH,
    response: false,
    encrypted: true,
    shapes: [
      {
        name: 'IDi',
        payloads: [
          N(),
          rule(P.IDi, 1, 1),
          rule(P.CERT, 0, MAX_CERT),
          rule(P.CERTREQ, 0, MAX_CERTREQ),
          rule(P.IDr, 0, 1),
          rule(P.AUTH, 0, 1),
          rule(P.CP, 0, 1),
          rule(P.SA, 0, 1),
          rule(P.TSi, 0, 1),
          rule(P.TSr, 0, 1),
          V(),
        ],
        together: CHILD,
      },
      { name: 'EAP round', payloads: [N(), rule(P.EAP, 1, 1), V()] },
      { name: 'AUTH after EAP', payloads: [N(), rule(P.AUTH, 1, 1), V()] },
    ],
  },
  {
    exchange: ExchangeType.IKE_AUTH,
    response: true,
    encrypted: true,
    shapes: [
      {
        name: 'IDr',
        payloads: [
          N(),
          rule(P.IDr, 1, 1),
          rule(P.CERT, 0, MAX_CERT),
          rule(P.AUTH, 0, 1),
          rule(P.EAP, 0, 1),
          rule(P.CP, 0, 1),
          rule(P.SA, 0, 1),
          rule(P.TSi, 0, 1),
          rule(P.TSr, 0, 1),
          V(),
        ],
        together: CHILD,
        anyOf: [P.AUTH, P.EAP],
      },
      { name: 'EAP round', payloads: [N(), rule(P.EAP, 1, 1), V()] },
      {
        name: 'AUTH after EAP',
        payloads: [
          N(),
          rule(P.AUTH, 1, 1),
          rule(P.CP, 0, 1),
          rule(P.SA, 0, 1),
          rule(P.TSi, 0, 1),
          rule(P.TSr, 0, 1),
          V(),
        ],
        together: CHILD,
      },
      errorOnly,
    ],
  },
  {
    exchange: ExchangeType.CREATE_CHILD_SA,
    response: false,
    encrypted: true,
    shapes: [
      {
        name: 'Child SA (create, or rekey with N(REKEY_SA))',
        payloads: childSaPayloads,
      },
      ikeRekey,
    ],
  },
  {
    exchange: ExchangeType.CREATE_CHILD_SA,
    response: true,
    encrypted: true,
    shapes: [
      {
        name: 'Child SA',
        payloads: childSaPayloads,
      },
      ikeRekey,
      errorOnly,
    ],
  },
  ...[false, true].map((response): MessageRules => ({
    exchange: ExchangeType.INFORMATIONAL,
    response,
    encrypted: true,
    shapes: [
      {
        name: 'INFORMATIONAL',
        payloads: [N(), rule(P.DELETE, 0, MAX_DELETE), rule(P.CP, 0, 1), V()],
      },
    ],
  })),
  ...[false, true].map((response): MessageRules => ({
    exchange: ExchangeType.IKE_INTERMEDIATE,
    response,
    encrypted: true,
    shapes: [{ name: 'IKE_INTERMEDIATE', payloads: [N(), rule(P.KE, 0, 1), V()] }],
  })),
];

export function rulesFor(exchange: number, response: boolean): MessageRules | undefined {
  return messageRules.find((r) => r.exchange === exchange && r.response === response);
}

function violations(shape: MessageShape, payloads: readonly Payload[], encrypted: boolean): string[] {
  const out: string[] = [];
  const name = (t: number) => PayloadTypeNames.get(t) ?? `type ${t}`;
  const count = new Map<number, number>();
  for (const p of payloads) if (!isUnknown(p)) count.set(p.type, (count.get(p.type) ?? 0) + 1);
  for (const [type, n] of count) {
    const r = shape.payloads.find((x) => x.type === type);
    if (!r) {
      if (STRICT_TYPES.has(type)) out.push(`${name(type)} payload not allowed`);
      continue;
    }
    if (n > r.max) out.push(`${name(type)} payload ${n} times, at most ${r.max}`);
    if (r.encrypted !== encrypted) out.push(`${name(type)} payload must ${r.encrypted ? '' : 'not '}be encrypted`);
  }
  for (const r of shape.payloads) {
    const n = count.get(r.type) ?? 0;
    if (n < r.min) out.push(`${name(r.type)} payload missing${r.min > 1 ? ` (needs ${r.min})` : ''}`);
  }
  if (shape.together) {
    const present = shape.together.filter((t) => count.has(t));
    if (present.length > 0 && present.length < shape.together.length) {
      const missing = shape.together.filter((t) => !count.has(t)).map(name);
      out.push(`${missing.join(', ')} payload missing next to ${present.map(name).join(', ')}`);
    }
  }
  if (shape.anyOf && !shape.anyOf.some((t) => count.has(t))) {
    out.push(`one of ${shape.anyOf.map(name).join(', ')} payloads required`);
  }
  if (shape.notifyRequired) {
    const test = shape.notifyRequired.test;
    const ok = payloads.some(
      (p) => p.type === PayloadType.NOTIFY && !isUnknown(p) && 'notifyType' in p && test(p.notifyType),
    );
    if (!ok) out.push(`${shape.notifyRequired.what} required`);
  }
  return out;
}

/**
 * Checks a decoded message against its exchange's rules; throws ProtocolError INVALID_SYNTAX naming the payload
 * (RFC 7296 §2.21.1 / §3.10.1). Exchanges without rules are INVALID_SYNTAX as well.
 */
export function checkRules(msg: IkeMessage): void {
  const response = (msg.header.flags & HeaderFlag.RESPONSE) !== 0;
  const ctx = `${nameOf(ExchangeTypeNames, msg.header.exchange)} ${response ? 'response' : 'request'}`;
  const rules = rulesFor(msg.header.exchange, response);
  if (!rules) throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, `${ctx}: no rules for this exchange`);
  if (rules.encrypted !== msg.encrypted) {
    throw new ProtocolError(
      'IKE',
      NotifyType.INVALID_SYNTAX,
      `${ctx}: must ${rules.encrypted ? '' : 'not '}be encrypted`,
    );
  }
  let best: { shape: MessageShape; errs: string[] } | undefined;
  for (const shape of rules.shapes) {
    const errs = violations(shape, msg.payloads, msg.encrypted);
    if (errs.length === 0) return;
    if (!best || errs.length < best.errs.length) best = { shape, errs };
  }
  const detail = best ? `${best.errs.join('; ')} (closest shape: ${best.shape.name})` : 'no shape';
  throw new ProtocolError('IKE', NotifyType.INVALID_SYNTAX, `${ctx}: ${detail}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Generation order (message.c *_order tables). A Notify entry without notify type matches every Notify.

export interface OrderEntry {
  type: number;
  notify?: number;
}

const n = (notify?: number): OrderEntry => (notify === undefined ? { type: P.NOTIFY } : { type: P.NOTIFY, notify });
const t = (type: number): OrderEntry => ({ type });
const NT = NotifyType;
const ON = OrderNotify;
const childNotifies = [
  n(NT.IPCOMP_SUPPORTED),
  n(NT.USE_TRANSPORT_MODE),
  n(NT.ESP_TFC_PADDING_NOT_SUPPORTED),
  n(NT.NON_FIRST_FRAGMENTS_ALSO),
];
const mobike = [
  n(NT.MOBIKE_SUPPORTED),
  n(ON.ADDITIONAL_IP4_ADDRESS),
  n(ON.ADDITIONAL_IP6_ADDRESS),
  n(ON.NO_ADDITIONAL_ADDRESSES),
];
const informational = [
  n(ON.UPDATE_SA_ADDRESSES),
  n(NT.NAT_DETECTION_SOURCE_IP),
  n(NT.NAT_DETECTION_DESTINATION_IP),
  n(ON.COOKIE2),
  n(),
  t(P.DELETE),
  t(P.CP),
];
const intermediate = [t(P.KE), n()];

/** Key: `${exchange}/${response}`. */
export const payloadOrder: ReadonlyMap<string, readonly OrderEntry[]> = new Map<string, readonly OrderEntry[]>([
  [
    `${ExchangeType.IKE_SA_INIT}/false`,
    [
      n(NT.COOKIE),
      t(P.SA),
      t(P.KE),
      t(P.NONCE),
      n(NT.NAT_DETECTION_SOURCE_IP),
      n(NT.NAT_DETECTION_DESTINATION_IP),
      n(),
      t(P.VENDOR),
    ],
  ],
  [
    `${ExchangeType.IKE_SA_INIT}/true`,
    [
      t(P.SA),
      t(P.KE),
      t(P.NONCE),
      n(NT.NAT_DETECTION_SOURCE_IP),
      n(NT.NAT_DETECTION_DESTINATION_IP),
      n(NT.HTTP_CERT_LOOKUP_SUPPORTED),
      t(P.CERTREQ),
      n(),
      t(P.VENDOR),
    ],
  ],
  [
    `${ExchangeType.IKE_AUTH}/false`,
    [
      t(P.IDi),
      t(P.CERT),
      n(NT.INITIAL_CONTACT),
      n(NT.HTTP_CERT_LOOKUP_SUPPORTED),
      t(P.CERTREQ),
      t(P.IDr),
      t(P.AUTH),
      t(P.EAP),
      t(P.CP),
      ...childNotifies,
      t(P.SA),
      t(P.TSi),
      t(P.TSr),
      ...mobike,
      n(),
      t(P.VENDOR),
    ],
  ],
  [
    `${ExchangeType.IKE_AUTH}/true`,
    [
      t(P.IDr),
      t(P.CERT),
      t(P.AUTH),
      t(P.EAP),
      t(P.CP),
      ...childNotifies,
      t(P.SA),
      t(P.TSi),
      t(P.TSr),
      n(ON.AUTH_LIFETIME),
      ...mobike,
      n(),
      t(P.VENDOR),
    ],
  ],
  [`${ExchangeType.INFORMATIONAL}/false`, informational],
  [`${ExchangeType.INFORMATIONAL}/true`, informational],
  [
    `${ExchangeType.CREATE_CHILD_SA}/false`,
    [n(NT.REKEY_SA), ...childNotifies, t(P.SA), t(P.NONCE), t(P.KE), t(P.TSi), t(P.TSr), n()],
  ],
  [
    `${ExchangeType.CREATE_CHILD_SA}/true`,
    [...childNotifies, t(P.SA), t(P.NONCE), t(P.KE), t(P.TSi), t(P.TSr), n(NT.ADDITIONAL_TS_POSSIBLE), n()],
  ],
  [`${ExchangeType.IKE_INTERMEDIATE}/false`, intermediate],
  [`${ExchangeType.IKE_INTERMEDIATE}/true`, intermediate],
]);

function matches(e: OrderEntry, p: Payload): boolean {
  if (p.type !== e.type || isUnknown(p)) return false;
  if (e.type !== P.NOTIFY || e.notify === undefined) return true;
  return 'notifyType' in p && p.notifyType === e.notify;
}

/**
 * Payloads in the order charon generates them for this exchange and direction: entry by entry, matching payloads
 * keep their relative order; payloads no entry matches go last in their original order.
 */
export function sortPayloads(exchange: number, isResponse: boolean, payloads: readonly Payload[]): Payload[] {
  const order = payloadOrder.get(`${exchange}/${isResponse}`);
  if (!order) return [...payloads];
  const rest = [...payloads];
  const out: Payload[] = [];
  for (const e of order) {
    for (let i = 0; i < rest.length;) {
      const p = rest[i];
      if (p && matches(e, p)) {
        out.push(p);
        rest.splice(i, 1);
      } else i++;
    }
  }
  return [...out, ...rest];
}
