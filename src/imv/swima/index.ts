/**
 * The SWIMA verifier (PA subtype IETF SWIMA, RFC 8412), strongSwan's imv-swima in our terms: at each handshake it
 * sends a SW Request for the software inventory with SWID tags (or, with `earliestEid`, for the events from that
 * EID on) and judges the answer with the package policy (src/swima/verify.ts):
 *
 *   IMV → IMC   SW Request (flags 0, request id n, Earliest EID 0)
 *   IMC → IMV   Software Inventory (request id n): one SWID tag per installed package
 *               → blacklisted package: isolate (non-compliant major); unknown / outdated: isolate (minor);
 *                 clean: allow. Every reason names the package and its version.
 *   IMC → IMV   PA-TNC Error, or an answer that is not the one asked for → no access, naming the problem
 *   (nothing)   → no access: "no software inventory received"
 *
 * Events are judged by the software they leave installed (creations and alterations not deleted later).
 * The policy is injected (`createSwimaImv`): the reference database supplies one; `createImv` builds one from files.
 *
 * Configuration of `createImv` (daemon `imv-swima` section, PT-TLS server module config):
 *   packages     dpkg status file or Debian Packages index of the known-good packages and versions (required)
 *   blacklist    package names that isolate the device (list, or a comma/space-separated string)
 *   security     Packages index of security updates (optional)
 *   maxRecords   most software records judged (default 100000)
 *   earliestEid  ask for the events from this EID instead of the inventory (default 0: the inventory)
 */
import { readFileSync } from 'node:fs';
import { ConfigError, silentLogger } from '../../common/index.ts';
import type { Logger } from '../../common/index.ts';
import { PaErrorCode, PaErrorCodeName, PaSubtype, Pen, isAttr, ietfPaTncError } from '../../tnc/pa/index.ts';
import type { IetfPaTncError, PaAttribute } from '../../tnc/pa/index.ts';
import { ActionRecommendation, AssessmentResult } from '../../tnc/pb/index.ts';
import type { AssessmentResultValue } from '../../tnc/pb/index.ts';
import type { ImvConnection, ImvModule, ImvReply, ImvVerdict, IncomingPa } from '../../tnc/imc-imv/index.ts';
import { ModuleOptions } from '../../tnc/imc-imv/index.ts';
import {
  SwimaAction,
  decodeSwimaErrorInfo,
  evaluateSwimaInventory,
  ietfSwimaSwEvents,
  ietfSwimaSwIdEvents,
  ietfSwimaSwIdInventory,
  ietfSwimaSwInventory,
  swimaAttributeCodecs,
} from '../../swima/index.ts';
import type { IetfSwimaRequest, PackagePolicy, SwimaEvent, SwimaRecord } from '../../swima/index.ts';
import { filePackagePolicy, parseDebPackageList } from './policy.ts';

export * from './policy.ts';
export * from './deb-version.ts';

export const IETF_SWIMA = PaSubtype.IETF_SWIMA;

export interface SwimaImvConfig {
  /** The reference package policy (injected: the reference database, or `filePackagePolicy`). */
  policy: PackagePolicy;
  /** Most software records judged; more are reported as a cut-off inventory (default 100000). */
  maxRecords?: number;
  /** Ask for the software events from this EID instead of the inventory (default 0: the inventory). */
  earliestEid?: number;
}

const DEFAULT_MAX_RECORDS = 100_000;
const PREFIX = 'SWIMA IMV: ';

const noAccess = (reason: string, evaluation: AssessmentResultValue = AssessmentResult.ERROR): ImvVerdict => ({
  recommendation: ActionRecommendation.NO_ACCESS,
  evaluation,
  reasons: [PREFIX + reason],
});

/** A PA-TNC Error in words: its code and, for the SWIMA codes, the collector's description. */
export function describePaTncError(e: IetfPaTncError): string {
  const name =
    e.errorVendor === Pen.IETF
      ? (PaErrorCodeName.get(e.errorCode as never) ?? `error ${e.errorCode}`)
      : `vendor 0x${e.errorVendor.toString(16)} error ${e.errorCode}`;
  const info = e.info;
  if (info.format === 'invalid-parameter') return `${name} at offset ${info.offset}`;
  if (info.format === 'attribute-type-not-supported')
    return `${name}: attribute 0x${info.vendor.toString(16).padStart(6, '0')}/${info.type}`;
  if (info.format !== 'raw' || e.errorVendor !== Pen.IETF || e.errorCode < PaErrorCode.SWIMA_ERROR) return name;
  const d = decodeSwimaErrorInfo(e.errorCode, info.data);
  const text = (d.description ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '?').slice(0, 200);
  const max = d.maxSize !== undefined ? ` (at most ${d.maxSize} bytes)` : '';
  return `${name}${max}${text ? `: ${text}` : ''}`;
}

/** The software events leave installed: creations and alterations not deleted by a later event. */
export function installedByEvents(events: readonly SwimaEvent[]): SwimaRecord[] {
  const live = new Map<string, SwimaRecord>();
  for (const e of [...events].sort((a, b) => a.eid - b.eid)) {
    if (e.action === SwimaAction.DELETION) live.delete(e.record.swId);
    else live.set(e.record.swId, e.record);
  }
  return [...live.values()];
}

/** The verifier module over an injected package policy. */
export function createSwimaImv(config: SwimaImvConfig, log: Logger = silentLogger): ImvModule {
  const maxRecords = config.maxRecords ?? DEFAULT_MAX_RECORDS;
  const earliestEid = config.earliestEid ?? 0;
  let nextRequestId = 1;
  return {
    name: 'swima',
    subscriptions: [IETF_SWIMA],
    attributeCodecs: swimaAttributeCodecs,
    connect(ctx): ImvConnection {
      const clog = ctx.log ?? log;
      let requestId = 0;
      let verdict: ImvVerdict | undefined;
      const judge = async (records: readonly SwimaRecord[]): Promise<ImvVerdict> => {
        const v = await evaluateSwimaInventory(records, config.policy, { maxRecords });
        return {
          recommendation: v.recommendation,
          evaluation: v.evaluation as AssessmentResultValue,
          reasons: v.reasons.map((r) => PREFIX + r),
        };
      };
      /** The verdict on one attribute, or undefined when it is none of SWIMA's answers. */
      const judgeAttribute = async (a: PaAttribute): Promise<ImvVerdict | undefined> => {
        if (isAttr(ietfPaTncError, a)) return noAccess(`the collector answered with ${describePaTncError(a)}`);
        const answer =
          isAttr(ietfSwimaSwInventory, a) ||
          isAttr(ietfSwimaSwEvents, a) ||
          isAttr(ietfSwimaSwIdInventory, a) ||
          isAttr(ietfSwimaSwIdEvents, a)
            ? a
            : undefined;
        if (!answer) return undefined;
        if (answer.requestId !== requestId)
          return noAccess(`answer to request ${answer.requestId} received, request ${requestId} was sent`);
        const wantEvents = earliestEid !== 0;
        const isEvents = answer.kind === 'ietf/swima-sw-events' || answer.kind === 'ietf/swima-sw-id-events';
        const withTags = answer.kind === 'ietf/swima-sw-inventory' || answer.kind === 'ietf/swima-sw-events';
        if (!withTags || isEvents !== wantEvents)
          return noAccess(
            `${answer.kind.replace('ietf/swima-', '')} received, ${wantEvents ? 'sw-events' : 'sw-inventory'} requested`,
          );
        if (isAttr(ietfSwimaSwEvents, answer)) {
          if (answer.events.length > maxRecords)
            return noAccess(`${answer.events.length} software events exceed the limit of ${maxRecords}`);
          return judge(installedByEvents(answer.events));
        }
        return judge((answer as { records: SwimaRecord[] }).records);
      };
      return {
        beginHandshake() {
          verdict = undefined;
          requestId = nextRequestId;
          nextRequestId = nextRequestId >= 0xffffffff ? 1 : nextRequestId + 1;
          const req: IetfSwimaRequest = {
            kind: 'ietf/swima-request',
            noskip: false,
            flags: 0,
            requestId,
            earliestEid,
            targets: [],
          };
          return [{ ...IETF_SWIMA, attributes: [req] }];
        },
        async receive(msg: IncomingPa): Promise<ImvReply> {
          let v: ImvVerdict | undefined;
          for (const a of msg.attributes) {
            const found = await judgeAttribute(a);
            // An error or a refused answer outranks a judged inventory in the same message.
            if (found && (!v || found.recommendation === ActionRecommendation.NO_ACCESS)) v = found;
          }
          if (!v) return { reply: [] };
          verdict = v;
          clog.info('IMV', `swima: ${v.reasons.length === 0 ? 'software compliant' : v.reasons.join('; ')}`);
          return { reply: [], verdict: v };
        },
        solicitRecommendation(): ImvVerdict {
          return verdict ?? noAccess('no software inventory received', AssessmentResult.DONT_KNOW);
        },
      };
    },
  };
}

const packageFile = (raw: Record<string, unknown>, k: string, required: boolean) => {
  const path = raw[k];
  if (path === undefined && !required) return undefined;
  if (typeof path !== 'string' || path === '')
    throw new ConfigError(`imv swima: ${k} (a dpkg status or Packages file) is ${required ? 'required' : 'a path'}`);
  let list: Map<string, Set<string>>;
  try {
    list = parseDebPackageList(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`imv swima: cannot read ${k} ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (required && list.size === 0) throw new ConfigError(`imv swima: ${k} ${path} lists no packages`);
  return list;
};

const OPTIONS = ['packages', 'blacklist', 'security'];

/**
 * The options every `swima` verifier takes (maxRecords, earliestEid), validated; any other key than those and
 * `allow` is a ConfigError. For a factory that injects its own policy, e.g. the reference database's:
 * `createSwimaImv({ policy, ...swimaImvOptions(raw, ['product']) })`.
 */
export function swimaImvOptions(
  raw: Record<string, unknown>,
  allow: readonly string[] = [],
): Omit<SwimaImvConfig, 'policy'> {
  const known = ['maxRecords', 'earliestEid', ...allow];
  for (const k of Object.keys(raw))
    if (!known.includes(k)) throw new ConfigError(`imv swima: unknown option '${k}' (known: ${known.join(', ')})`);
  const out: Omit<SwimaImvConfig, 'policy'> = {};
  const o = new ModuleOptions(raw, 'imv swima');
  for (const [k, min] of [
    ['maxRecords', 1],
    ['earliestEid', 0],
  ] as const) {
    const n = o.int(k, min, 0xffffffff);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/** Validates the module configuration and reads the policy files. */
export function swimaImvConfig(raw: Record<string, unknown>): SwimaImvConfig {
  const options = swimaImvOptions(raw, OPTIONS);
  const known = packageFile(raw, 'packages', true)!;
  const security = packageFile(raw, 'security', false);
  const blacklist = new ModuleOptions(raw, 'imv swima').list('blacklist', 'a list of package names');
  return {
    policy: filePackagePolicy({ known, blacklist: new Set(blacklist), ...(security ? { security } : {}) }),
    ...options,
  };
}

/** Module entry point (built-in name `swima`). */
export function createImv(raw: Record<string, unknown>): ImvModule {
  return createSwimaImv(swimaImvConfig(raw));
}
