/**
 * The SWIMA collector (PA subtype IETF SWIMA, RFC 8412), strongSwan's imc-swima in our terms: it answers every SW
 * Request of a verifier, exclusively to that verifier, from the installed-package database of the device:
 *
 * - Earliest EID 0                  → Software Inventory (SWID tags) or, with the R flag, Software Identifier Inventory
 * - Earliest EID n > 0              → Software Events / Software Identifier Events from EID n on (dpkg.log history)
 * - S flag                          → the request is also kept as a subscription (id = its Request ID); at a later
 *                                     handshake on the connection the collector sends it again, flagged as
 *                                     subscription fulfilment, if the package database changed since
 * - C flag                          → the verifier's subscriptions are cleared; answer: Subscription Status Response
 * - Subscription Status Request     → Subscription Status Response with the verifier's subscriptions
 *
 * A request it cannot serve gets a PA-TNC Error in the IETF SWIMA codes (RFC 8412 §5.16, layout as we read it):
 * Request ID copy(32), [Maximum Allowed Size(32) for SWIMA_RESPONSE_TOO_LARGE], UTF-8 description. A malformed
 * PA-TNC message never reaches the module: the host answers it with Invalid Parameter.
 *
 * Configuration (daemon `imc-swima` section, PT-TLS client module config):
 *   dpkgStatus     dpkg status file (default /var/lib/dpkg/status)
 *   apkInstalled   Alpine apk database (/lib/apk/db/installed) instead of dpkgStatus
 *   dpkgLog        dpkg.log history for SW events (optional; without it there are no events)
 *   eidEpoch       EID epoch (default: derived from the first history line, so it changes when the log restarts)
 *   os, regid, entityName   SWID tag context (default: from os-release ID/VERSION_ID, e.g. `debian_12`, the regid
 *                  `<ID>.org` and entity `<NAME>`; without os-release `unknown`, `unknown.invalid`, `unknown`)
 *   osRelease      os-release file for those defaults (default /etc/os-release)
 *   maxRecords     most records in one answer (default 100000)
 *   maxResponseSize  largest encoded answer attribute in bytes (default 2000000, under PT-TLS' 2 MiB batches)
 *   maxSubscriptions per connection (default 8)
 *
 * Package files are read asynchronously, once and again only when their size or mtime changed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { AttestdError, ConfigError, Writer, silentLogger } from '../../common/index.ts';
import type { Logger } from '../../common/index.ts';
import { PaErrorCode, PaErrorCodeName, PaSubtype, Pen, isAttr } from '../../tnc/pa/index.ts';
import type { IetfPaTncError, PaAttribute } from '../../tnc/pa/index.ts';
import type { ImcConnection, ImcModule, IncomingPa, OutgoingPa } from '../../tnc/imc-imv/index.ts';
import { ModuleOptions } from '../../tnc/imc-imv/index.ts';
import {
  SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT,
  SwimaCollector,
  encodeSwimaErrorInfo,
  SwimaRequestFlag,
  ietfSwimaRequest,
  ietfSwimaSubscriptionStatusRequest,
  parseApkInstalled,
  parseDpkgLog,
  parseDpkgStatus,
  swimaAttributeCodecs,
  swimaPaRegistry,
} from '../../swima/index.ts';
import type {
  IetfSwimaSubscriptionStatusResponse,
  PackageHistoryEntry,
  PackageRecord,
  SwidContext,
  SwimaEventsBody,
  SwimaInventoryBody,
  SwimaRequestBody,
} from '../../swima/index.ts';

export const IETF_SWIMA = PaSubtype.IETF_SWIMA;

export interface SwimaImcConfig extends SwidContext {
  /** Where the installed packages come from. */
  packages: { format: 'dpkg' | 'apk'; path: string };
  dpkgLog?: string;
  eidEpoch?: number;
  maxRecords: number;
  maxResponseSize: number;
  maxSubscriptions: number;
}

export const DEFAULT_DPKG_STATUS = '/var/lib/dpkg/status';
const DEFAULTS = { maxRecords: 100_000, maxResponseSize: 2_000_000, maxSubscriptions: 8 } as const;

/** SWID context defaults from an os-release file (`ID`, `VERSION_ID`, `NAME`). */
export function swidContextFromOsRelease(text: string | undefined): SwidContext {
  const f = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^([A-Z0-9_]+)=("?)(.*)\2\s*$/.exec(line);
    if (m) f.set(m[1]!, m[3]!);
  }
  const id = f.get('ID') ?? 'unknown';
  const version = f.get('VERSION_ID');
  return {
    os: version ? `${id}_${version}` : id,
    regid: f.has('ID') ? `${id}.org` : 'unknown.invalid',
    entityName: f.get('NAME') ?? id,
  };
}

const OPTIONS = [
  'dpkgStatus',
  'apkInstalled',
  'dpkgLog',
  'eidEpoch',
  'os',
  'regid',
  'entityName',
  'osRelease',
  'maxRecords',
  'maxResponseSize',
  'maxSubscriptions',
];

/** Validates the module configuration. */
export function swimaImcConfig(raw: Record<string, unknown>): SwimaImcConfig {
  const o = new ModuleOptions(raw, 'imc swima');
  for (const k of Object.keys(raw))
    if (!OPTIONS.includes(k)) throw new ConfigError(`imc swima: unknown option '${k}' (known: ${OPTIONS.join(', ')})`);
  const dpkgStatus = o.string('dpkgStatus');
  const apkInstalled = o.string('apkInstalled');
  if (dpkgStatus && apkInstalled) throw new ConfigError('imc swima: give dpkgStatus or apkInstalled, not both');
  const dpkgLog = o.string('dpkgLog');
  let defaults: SwidContext | undefined;
  const ctx = (k: keyof SwidContext): string => {
    const v = o.string(k);
    if (v !== undefined) return v;
    if (!defaults) {
      const path = o.string('osRelease') ?? '/etc/os-release';
      let text: string | undefined;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        text = undefined;
      }
      defaults = swidContextFromOsRelease(text);
    }
    return defaults[k];
  };
  const eidEpoch = o.int('eidEpoch', 0, 0xffffffff);
  return {
    packages: apkInstalled
      ? { format: 'apk', path: apkInstalled }
      : { format: 'dpkg', path: dpkgStatus ?? DEFAULT_DPKG_STATUS },
    ...(dpkgLog ? { dpkgLog } : {}),
    ...(eidEpoch !== undefined ? { eidEpoch } : {}),
    os: ctx('os'),
    regid: ctx('regid'),
    entityName: ctx('entityName'),
    maxRecords: o.int('maxRecords', 1, 10_000_000) ?? DEFAULTS.maxRecords,
    maxResponseSize: o.int('maxResponseSize', 64, 0xffffffff) ?? DEFAULTS.maxResponseSize,
    maxSubscriptions: o.int('maxSubscriptions', 0, 1024) ?? DEFAULTS.maxSubscriptions,
  };
}

/** Why a request cannot be served: the SWIMA PA-TNC error code and what the answer says. */
class SwimaRequestError extends AttestdError {
  readonly errorCode: number;
  readonly maxSize: number | undefined;
  constructor(errorCode: number, message: string, maxSize?: number) {
    super('ERR_SWIMA', message);
    this.errorCode = errorCode;
    this.maxSize = maxSize;
  }
}

/** A SWIMA PA-TNC Error (RFC 8412 §5.16): Request ID copy, [Maximum Allowed Size], description. */
export function swimaError(
  errorCode: number,
  requestId: number,
  description: string,
  maxSize?: number,
): IetfPaTncError {
  return {
    kind: 'ietf/pa-tnc-error',
    noskip: false,
    errorVendor: Pen.IETF,
    errorCode,
    info: {
      format: 'raw',
      data: encodeSwimaErrorInfo(errorCode, {
        requestId,
        description,
        ...(maxSize !== undefined ? { maxSize } : {}),
      }),
    },
  };
}

/** The parsed package database with the key it was read under (size and mtime of each file). */
interface Snapshot {
  key: string;
  collector: SwimaCollector;
}

const missing = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** Stable per log: the first history line numbers EID 1, so the epoch changes when the log restarts. */
function epochOf(history: readonly PackageHistoryEntry[]): number {
  const first = history[0];
  if (!first) return 1;
  const h = createHash('sha256').update(JSON.stringify(first)).digest();
  return h.readUInt32BE(0) || 1;
}

/** Reads the package database when it changed; one read at a time, shared by every connection of the module. */
function packageSource(config: SwimaImcConfig, log: Logger): () => Promise<Snapshot> {
  let current: Snapshot | undefined;
  let pending: Promise<Snapshot> | undefined;
  const keyOf = async (path: string | undefined, optional: boolean): Promise<string> => {
    if (!path) return '-';
    try {
      const s = await stat(path);
      return `${s.size}:${s.mtimeMs}`;
    } catch (e) {
      if (optional && missing(e)) return 'none';
      throw new SwimaRequestError(PaErrorCode.SWIMA_ERROR, `cannot read ${path}: ${(e as Error).message}`);
    }
  };
  const load = async (): Promise<Snapshot> => {
    const key = `${await keyOf(config.packages.path, false)}|${await keyOf(config.dpkgLog, true)}`;
    if (current?.key === key) return current;
    let packages: PackageRecord[];
    let history: PackageHistoryEntry[] = [];
    let text: string;
    try {
      text = await readFile(config.packages.path, 'utf8');
    } catch (e) {
      throw new SwimaRequestError(
        PaErrorCode.SWIMA_ERROR,
        `cannot read ${config.packages.path}: ${(e as Error).message}`,
      );
    }
    try {
      packages = config.packages.format === 'apk' ? parseApkInstalled(text) : parseDpkgStatus(text);
    } catch (e) {
      throw new SwimaRequestError(PaErrorCode.SWIMA_ERROR, `${config.packages.path}: ${(e as Error).message}`);
    }
    if (config.dpkgLog) {
      try {
        history = parseDpkgLog(await readFile(config.dpkgLog, 'utf8'));
      } catch (e) {
        if (!missing(e))
          throw new SwimaRequestError(
            PaErrorCode.SWIMA_ERROR,
            `cannot read ${config.dpkgLog}: ${(e as Error).message}`,
          );
        log.info('IMC', `swima: no package history ${config.dpkgLog}, reporting no events`);
      }
    }
    const collector = new SwimaCollector({
      os: config.os,
      regid: config.regid,
      entityName: config.entityName,
      packages,
      history,
      eidEpoch: config.eidEpoch ?? epochOf(history),
    });
    current = { key, collector };
    return current;
  };
  return () => {
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

interface Subscription {
  /** The IMV that established it. */
  imv: number;
  request: SwimaRequestBody;
  /** Package database key when it was last fulfilled. */
  key: string;
}

const countOf = (a: PaAttribute): number =>
  'records' in a
    ? (a as PaAttribute & SwimaInventoryBody).records.length
    : (a as PaAttribute & SwimaEventsBody).events.length;

/** The collector over validated configuration. */
export function createSwimaImc(config: SwimaImcConfig, log: Logger = silentLogger): ImcModule {
  const snapshot = packageSource(config, log);
  /** The answer to one request (not a C-flag one), within the limits. */
  const answer = (s: Snapshot, request: SwimaRequestBody, flags = 0): PaAttribute => {
    const a = s.collector.respond(request) as PaAttribute & { flags: number };
    a.flags |= flags;
    const n = countOf(a);
    if (n > config.maxRecords)
      throw new SwimaRequestError(
        PaErrorCode.SWIMA_RESPONSE_TOO_LARGE,
        `${n} records exceed the limit of ${config.maxRecords}`,
        config.maxResponseSize,
      );
    const w = new Writer(1024);
    swimaPaRegistry.encode(w, a);
    if (w.length > config.maxResponseSize)
      throw new SwimaRequestError(
        PaErrorCode.SWIMA_RESPONSE_TOO_LARGE,
        `a response of ${w.length} bytes exceeds the limit of ${config.maxResponseSize}`,
        config.maxResponseSize,
      );
    return a;
  };
  return {
    name: 'swima',
    subscriptions: [IETF_SWIMA],
    attributeCodecs: swimaAttributeCodecs,
    connect(ctx): ImcConnection {
      const subs: Subscription[] = [];
      const status = (imv: number): IetfSwimaSubscriptionStatusResponse => ({
        kind: 'ietf/swima-subscription-status-response',
        noskip: false,
        subscriptions: subs.filter((x) => x.imv === imv).map((x) => x.request),
      });
      const failed = (e: unknown, requestId: number): IetfPaTncError => {
        const code = e instanceof SwimaRequestError ? e.errorCode : PaErrorCode.SWIMA_ERROR;
        const text = e instanceof Error ? e.message : String(e);
        ctx.log.info('IMC', `swima: request ${requestId} refused (${PaErrorCodeName.get(code) ?? code}): ${text}`);
        return swimaError(code, requestId, text, e instanceof SwimaRequestError ? e.maxSize : undefined);
      };
      const serve = async (imv: number, req: SwimaRequestBody): Promise<PaAttribute> => {
        try {
          if (req.flags & SwimaRequestFlag.C) {
            for (let i = subs.length - 1; i >= 0; i--) if (subs[i]!.imv === imv) subs.splice(i, 1);
            return status(imv);
          }
          const s = await snapshot();
          if (req.flags & SwimaRequestFlag.S) {
            if (subs.some((x) => x.imv === imv && x.request.requestId === req.requestId))
              throw new SwimaRequestError(
                PaErrorCode.SWIMA_SUBSCRIPTION_ID_REUSE,
                `subscription id ${req.requestId} is in use`,
              );
            if (subs.length >= config.maxSubscriptions)
              throw new SwimaRequestError(
                PaErrorCode.SWIMA_SUBSCRIPTION_DENIED,
                `at most ${config.maxSubscriptions} subscriptions per connection`,
              );
          }
          const a = answer(s, req);
          if (req.flags & SwimaRequestFlag.S) {
            const last = (a as PaAttribute & { lastEid: number }).lastEid;
            const request = req.earliestEid === 0 ? { ...req } : { ...req, earliestEid: last + 1 };
            subs.push({ imv, request, key: s.key });
          }
          return a;
        } catch (e) {
          return failed(e, req.requestId);
        }
      };
      return {
        /** A new handshake: fulfil the subscriptions whose software changed since they were last served. */
        async beginHandshake(): Promise<OutgoingPa[]> {
          if (subs.length === 0) return [];
          // The subscription stays when it cannot be fulfilled; the error names it by its id.
          const unfulfilled = (sub: Subscription, e: unknown): IetfPaTncError => {
            const text = e instanceof Error ? e.message : String(e);
            ctx.log.info('IMC', `swima: subscription ${sub.request.requestId} not fulfilled: ${text}`);
            return swimaError(PaErrorCode.SWIMA_SUBSCRIPTION_FULFILLMENT_ERROR, sub.request.requestId, text);
          };
          let s: Snapshot | undefined;
          let readError: unknown;
          try {
            s = await snapshot();
          } catch (e) {
            readError = e;
          }
          const out = new Map<number, PaAttribute[]>();
          for (const sub of subs) {
            let a: PaAttribute;
            if (!s) a = unfulfilled(sub, readError);
            else if (sub.key === s.key) continue;
            else {
              try {
                a = answer(s, sub.request, SWIMA_FLAG_SUBSCRIPTION_FULFILLMENT);
                if (sub.request.earliestEid !== 0)
                  sub.request = { ...sub.request, earliestEid: (a as PaAttribute & { lastEid: number }).lastEid + 1 };
              } catch (e) {
                a = unfulfilled(sub, e);
              }
              sub.key = s.key;
            }
            out.set(sub.imv, [...(out.get(sub.imv) ?? []), a]);
          }
          return [...out].map(([imv, attributes]) => ({ ...IETF_SWIMA, attributes, to: imv }));
        },
        async receive(msg: IncomingPa): Promise<OutgoingPa[]> {
          const attributes: PaAttribute[] = [];
          for (const a of msg.attributes) {
            if (isAttr(ietfSwimaRequest, a)) attributes.push(await serve(msg.sourceId, a));
            else if (isAttr(ietfSwimaSubscriptionStatusRequest, a)) attributes.push(status(msg.sourceId));
          }
          return attributes.length === 0 ? [] : [{ ...IETF_SWIMA, attributes, to: msg.sourceId }];
        },
      };
    },
  };
}

/** Module entry point (built-in name `swima`). */
export function createImc(raw: Record<string, unknown>): ImcModule {
  return createSwimaImc(swimaImcConfig(raw));
}
