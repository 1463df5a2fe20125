/**
 * Bad input at the EAP layer against our daemon as EAP server (IKE responder, EAP-only EAP-TTLS with PT-EAP inside),
 * from a scripted IKE initiator (eap-ike-client.ts) that sends crafted EAP payloads inside SK. Each scenario checks
 * the answer the RFCs ask for, that the responder's IKE SA is gone afterwards (list-sas empty, 'ike:sa:deleted'),
 * and that the same daemon then still serves a good client (our other daemon initiating).
 *
 *   RFC 3748 §4.1: a Response whose Identifier does not match the pending Request, or any other code than Response
 *   at the authenticator, is silently discarded (over IKE, which needs an answer to every request, the pending
 *   Request is sent again); too many → EAP-Failure.
 *   RFC 5281 §9.2.2: reassembly has limits (declared Message Length, total bytes); §10.1 AVP lengths cover the
 *   header; a bad AVP ends the conversation with EAP-Failure.
 *   RFC 7296 §2.16 / §2.21: an IKE_AUTH request without the expected EAP payload is answered AUTHENTICATION_FAILED.
 */
import { EapCode, EapType } from '../../../src/eap/method.ts';
import { encodeEap, response } from '../../../src/eap/packet.ts';
import { TTLS_MAX_MESSAGE } from '../../../src/eap/ttls/fragments.ts';
import { TtlsFlag, TTLS_VERSION, encodeTtls } from '../../../src/eap/ttls/packet.ts';
import { AvpCode, AvpFlag } from '../../../src/eap/ttls/avp.ts';
import { NotifyType, PayloadType } from '../../../src/ike/payloads/types.ts';
import { controlRequest } from '../../../src/daemon/control.ts';
import type { SaInfo } from '../../../src/ike/engine.ts';
import type { AttestedPair } from '../../unit/daemon/attestation/attested-conf.ts';
import { ScriptedInitiator, describeAnswer, isFailure, isRequest, ttlsThenInject } from './eap-ike-client.ts';
import type { AuthAnswer } from './eap-ike-client.ts';
import { waitNoSas, withPair } from './eap-attested.ts';
import type { Observed } from './eap-attested.ts';

const ALLOW = ['  tnc {', '    imcs = test', '    imvs = test', '  }', '  imc-test {', '    command = allow', '  }'];

type Step = (pair: AttestedPair, o: Observed) => Promise<string>;

/**
 * Runs `attack` against B of a fresh pair, then checks that B holds no IKE SA, that B deleted the scripted SA, and
 * that A (a good client) still gets its IKE SA and CHILD_SA from B.
 */
export function badInput(base: number, attack: Step): Promise<string> {
  return withPair({ base, attestd: { a: ALLOW, b: ALLOW } }, async (pair, o) => {
    const what = await attack(pair, o);
    const ms = await waitNoSas(pair, 'b', 5000);
    const gone = o.deleted.filter((d) => d.peer === pair.addr('a'));
    if (!gone.length) throw new Error(`B published no ike:sa:deleted for the scripted initiator`);
    const reasons = [...new Set(gone.map((d) => d.reason))].join('; ');
    const sa = (await controlRequest(pair.sock('a'), { cmd: 'initiate', ike: 'attested' })) as SaInfo;
    if (sa.state !== 'ESTABLISHED' || sa.children.length !== 1)
      throw new Error(`the good client afterwards: ${sa.state}, ${sa.children.length} CHILD_SA(s)`);
    return `${what}; B tore down ${gone.length} IKE SA(s) (${reasons}), list-sas empty after ${ms} ms; a good client then got its CHILD_SA`;
  });
}

async function start(pair: AttestedPair): Promise<{ c: ScriptedInitiator; first: AuthAnswer }> {
  const { client, first } = await ScriptedInitiator.start({
    local: pair.addr('a'),
    remote: pair.addr('b'),
    idi: 'a.example',
    tsi: '10.1.0.0/24',
    tsr: '10.2.0.0/24',
  });
  if (!isRequest(first, EapType.IDENTITY)) {
    client.close();
    throw new Error(`first IKE_AUTH answer: ${describeAnswer(first)}, expected EAP Request/Identity`);
  }
  return { c: client, first };
}

/** One scripted initiator through `fn`, closed afterwards; then (unless `settle` is false) B must drop its SA. */
async function attempt<T>(
  pair: AttestedPair,
  fn: (c: ScriptedInitiator, first: AuthAnswer) => Promise<T>,
  settle = true,
): Promise<T> {
  const { c, first } = await start(pair);
  let result: T;
  try {
    result = await fn(c, first);
  } finally {
    c.close();
  }
  if (settle) await waitNoSas(pair, 'b', 5000);
  return result;
}

/** Answers Request/Identity; returns the EAP-TTLS Start request. */
async function toTtlsStart(
  c: ScriptedInitiator,
  first: AuthAnswer,
): Promise<AuthAnswer & { eap: { identifier: number } }> {
  const r = await c.eap(response(first.eap!.identifier, EapType.IDENTITY, new TextEncoder().encode('a.example')));
  if (!isRequest(r, EapType.TTLS) || !('data' in r.eap) || !(r.eap.data[0]! & TtlsFlag.START))
    throw new Error(`answer to Response/Identity: ${describeAnswer(r)}, expected EAP-TTLS Start`);
  return r;
}

function expectFailure(a: AuthAnswer, what: string): void {
  if (!isFailure(a)) throw new Error(`${what}: ${describeAnswer(a)}, expected EAP Failure`);
}

/** 5a: TTLS fragments (M flag, no L) of 1000 bytes each until the server stops acknowledging. */
export const fragmentFlood: Step = (pair) =>
  // The step's caller waits for B to drop the SA.
  attempt(
    pair,
    async (c, first) => {
      let req: AuthAnswer = await toTtlsStart(c, first);
      const chunk = new Uint8Array(1000).fill(0x16);
      let acks = 0;
      for (let i = 0; i < 200; i++) {
        const frag = encodeTtls({ flags: TTLS_VERSION | TtlsFlag.MORE, data: chunk });
        req = await c.eap(response(req.eap!.identifier, EapType.TTLS, frag));
        if (!isRequest(req, EapType.TTLS) || req.eap.data.byteLength !== 1) break;
        acks++;
      }
      expectFailure(req, `after ${acks} acknowledged fragments`);
      const limit = Math.floor(TTLS_MAX_MESSAGE / chunk.byteLength);
      if (acks !== limit)
        throw new Error(
          `the server acknowledged ${acks} fragments, expected ${limit} (${TTLS_MAX_MESSAGE}-byte limit)`,
        );
      return `${acks} fragments ACKed (${acks * chunk.byteLength} bytes), the next one (over ${TTLS_MAX_MESSAGE} bytes) answered with EAP-Failure; ${c.rounds} IKE_AUTH round trips`;
    },
    false,
  );

/** 5b: a first fragment whose L-flag Message Length is beyond the limit. */
export const oversizeMessage: Step = (pair) =>
  // The step's caller waits for B to drop the SA.
  attempt(
    pair,
    async (c, first) => {
      const ttls = await toTtlsStart(c, first);
      const declared = TTLS_MAX_MESSAGE + 1;
      const frag = encodeTtls({
        flags: TTLS_VERSION | TtlsFlag.LENGTH | TtlsFlag.MORE,
        messageLength: declared,
        data: new Uint8Array(500).fill(0x16),
      });
      const r = await c.eap(response(ttls.eap.identifier, EapType.TTLS, frag));
      expectFailure(r, `answer to a ${declared}-byte Message Length`);
      return `L flag declaring ${declared} bytes (limit ${TTLS_MAX_MESSAGE}) → ${describeAnswer(r)} at once; ${c.rounds} IKE_AUTH round trips`;
    },
    false,
  );

/** An AVP header (code, flags, 24-bit length) followed by `data`, padded to 4. */
function rawAvp(code: number, flags: number, length: number, data: Uint8Array): Uint8Array {
  const pad = (4 - (data.byteLength % 4)) % 4;
  const out = new Uint8Array(8 + data.byteLength + pad);
  const v = new DataView(out.buffer);
  v.setUint32(0, code);
  v.setUint32(4, length);
  out[4] = flags;
  out.set(data, 8);
  return out;
}

/** 5c: once the TLS tunnel is up (client certificate of a.example), AVPs with bad lengths instead of phase 2. */
export const badAvps: Step = async (pair) => {
  const identity = encodeEap({
    code: EapCode.RESPONSE,
    identifier: 0,
    type: EapType.IDENTITY,
    data: new TextEncoder().encode('a.example'),
  });
  const cases: { name: string; bytes: Uint8Array }[] = [
    {
      name: 'AVP length 4, below its 8-byte header',
      bytes: rawAvp(AvpCode.EAP_MESSAGE, AvpFlag.MANDATORY, 4, new Uint8Array(4)),
    },
    {
      name: 'AVP length 0xffffff, beyond any EAP packet',
      bytes: rawAvp(AvpCode.EAP_MESSAGE, AvpFlag.MANDATORY, 0xffffff, identity),
    },
    {
      name: 'EAP-Message AVP whose EAP length exceeds the AVP',
      bytes: rawAvp(
        AvpCode.EAP_MESSAGE,
        AvpFlag.MANDATORY,
        8 + identity.byteLength,
        (() => {
          const e = identity.slice();
          new DataView(e.buffer).setUint16(2, 400);
          return e;
        })(),
      ),
    },
  ];
  const out: string[] = [];
  for (const k of cases) {
    await attempt(pair, async (c, first) => {
      const ttls = await toTtlsStart(c, first);
      const r = await ttlsThenInject(
        c,
        ttls,
        { cert: pair.pki.a.certPem, key: pair.pki.a.keyPem, ca: pair.pki.ca.certPem, serverIdentity: 'b.example' },
        k.bytes,
      );
      expectFailure(r.answer, `${k.name} (${r.protocol})`);
      out.push(`${k.name} → ${describeAnswer(r.answer)} (${r.protocol}, ${c.rounds} round trips)`);
    });
  }
  return out.join('; ');
};

/** 5d: Responses with wrong identifiers and packets of the wrong code are discarded (pending request again). */
export const wrongIdentifiers: Step = (pair) =>
  // The step's caller waits for B to drop the SA.
  attempt(
    pair,
    async (c, first) => {
      const id = first.eap!.identifier;
      const me = new TextEncoder().encode('a.example');
      const again = (a: AuthAnswer, what: string) => {
        if (!isRequest(a, EapType.IDENTITY) || a.eap.identifier !== id)
          throw new Error(`${what}: ${describeAnswer(a)}, expected the pending Request/Identity id ${id} again`);
      };
      again(
        await c.eap(response((id + 1) & 0xff, EapType.IDENTITY, me)),
        `Response/Identity with id ${(id + 1) & 0xff}`,
      );
      again(
        await c.eap(encodeEap({ code: EapCode.REQUEST, identifier: id, type: EapType.IDENTITY, data: me })),
        'a Request from the peer',
      );
      again(await c.eap(encodeEap({ code: EapCode.SUCCESS, identifier: id })), 'a Success from the peer');
      // Discarding changed nothing: the right answer continues the conversation.
      const ttls = await toTtlsStart(c, first);
      const tid = ttls.eap.identifier;
      const steps: string[] = [];
      let r: AuthAnswer = ttls;
      for (let i = 1; i <= 4; i++) {
        r = await c.eap(response((tid + 100 + i) & 0xff, EapType.TTLS, Uint8Array.of(0)));
        steps.push(describeAnswer(r));
        if (i < 4 && !(isRequest(r, EapType.TTLS) && r.eap.identifier === tid))
          throw new Error(`wrong identifier #${i} on the TTLS Start: ${describeAnswer(r)}, expected the Start again`);
      }
      expectFailure(r, 'the fourth wrong identifier in a row');
      return (
        `Response id ${(id + 1) & 0xff}, a Request and a Success from the peer: each answered with the pending ` +
        `Request/Identity id ${id}; the right Response then got the TTLS Start id ${tid}; 4 wrong identifiers → ` +
        `${steps.join(', ')}; ${c.rounds} IKE_AUTH round trips`
      );
    },
    false,
  );

/**
 * 5e: out of order: the AUTH payload before EAP-Success (the IKE_AUTH then carries no EAP payload), a Response of
 * another type than the pending Request, a TTLS ACK before any TLS data.
 */
export const outOfOrder: Step = async (pair) => {
  const out: string[] = [];
  await attempt(pair, async (c, first) => {
    await toTtlsStart(c, first);
    // The MSK-based AUTH before any EAP-Success.
    const r = await c.auth([{ type: PayloadType.AUTH, method: 2, data: new Uint8Array(32) }]);
    if (!r.notifies.includes(NotifyType.AUTHENTICATION_FAILED))
      throw new Error(`AUTH before EAP-Success: ${describeAnswer(r)}, expected N(AUTHENTICATION_FAILED)`);
    out.push(`AUTH before EAP-Success → ${describeAnswer(r)}`);
  });
  await attempt(pair, async (c, first) => {
    const ttls = await toTtlsStart(c, first);
    const r = await c.eap(response(ttls.eap.identifier, EapType.MD5, Uint8Array.of(16, ...new Uint8Array(16))));
    expectFailure(r, 'Response/MD5 to the TTLS Start');
    out.push(`Response/MD5 to the TTLS Start → ${describeAnswer(r)}`);
  });
  // The step's caller waits for B to drop this last one.
  await attempt(
    pair,
    async (c, first) => {
      const ttls = await toTtlsStart(c, first);
      const r = await c.eap(response(ttls.eap.identifier, EapType.TTLS, Uint8Array.of(TTLS_VERSION)));
      expectFailure(r, 'a TTLS ACK before any TLS data');
      out.push(`TTLS ACK before any TLS data → ${describeAnswer(r)}`);
    },
    false,
  );
  return out.join('; ');
};
