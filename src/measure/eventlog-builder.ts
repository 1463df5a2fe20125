/**
 * Builds TCG PC Client event logs (PFP §10) from (pcr, type, data) entries, exactly as firmware writes them: the
 * SHA-1-format header with the Spec ID event, an optional StartupLocality EV_NO_ACTION event, then TCG_PCR_EVENT2
 * records carrying one digest per bank. Tests extend swtpm PCRs with the same digests and compare the replay to a
 * real quote. Pure: no I/O.
 */
import { ConfigError } from '../common/errors.ts';
import { DIGEST_SIZE, digest, tpmAlgOf, type HashName } from './hash.ts';
import {
  EventType,
  encodeEventLog,
  startupLocalityData,
  type EventLog,
  type SpecIdEvent,
  type TcgEvent,
} from './eventlog.ts';

export interface EventSpec {
  pcr: number;
  type: number;
  /** Event data as logged. */
  data: Uint8Array;
  /** Bytes whose hash is the digest (default: `data`); firmware hashes e.g. a PE image, not the load event. */
  hashed?: Uint8Array;
  /** Explicit digests per bank (override `hashed`). */
  digests?: Partial<Record<HashName, Uint8Array>>;
}

export interface EventLogBuildOptions {
  /** PCR banks, in the order of the Spec ID event. Default sha1 and sha256. */
  banks?: readonly HashName[];
  /** Adds a StartupLocality event (PFP §10.4.5.3) with this locality (3 or 4 start PCR 0 at …03/…04). */
  locality?: number;
  vendorInfo?: Uint8Array;
  /** Spec ID fields; defaults: client platform class 0, spec 2.0 errata 0, UINTN size 2 (64-bit). */
  specId?: Partial<Omit<SpecIdEvent, 'algorithms'>>;
}

/** The Spec ID event for the given banks. */
export function buildSpecId(banks: readonly HashName[], o: EventLogBuildOptions = {}): SpecIdEvent {
  if (banks.length === 0) throw new ConfigError('an event log needs at least one bank');
  return {
    platformClass: o.specId?.platformClass ?? 0,
    specVersionMinor: o.specId?.specVersionMinor ?? 0,
    specVersionMajor: o.specId?.specVersionMajor ?? 2,
    specErrata: o.specId?.specErrata ?? 0,
    uintnSize: o.specId?.uintnSize ?? 2,
    algorithms: banks.map((b) => ({ algId: tpmAlgOf(b), digestSize: DIGEST_SIZE[b] })),
    vendorInfo: o.vendorInfo ?? o.specId?.vendorInfo ?? new Uint8Array(0),
  };
}

/** One TCG_PCR_EVENT2 with a digest for each bank (EV_NO_ACTION events carry zero digests, PFP §10.4.1). */
export function buildEvent(e: EventSpec, banks: readonly HashName[]): TcgEvent {
  return {
    pcr: e.pcr,
    type: e.type,
    digests: banks.map((b) => {
      const given = e.digests?.[b];
      if (given && given.byteLength !== DIGEST_SIZE[b]) throw new ConfigError(`${b} digest of wrong size`);
      const d =
        given ?? (e.type === EventType.EV_NO_ACTION ? new Uint8Array(DIGEST_SIZE[b]) : digest(b, e.hashed ?? e.data));
      return { alg: tpmAlgOf(b), digest: d };
    }),
    data: e.data,
  };
}

/** A crypto-agile log of the given events. */
export function buildEventLog(events: readonly EventSpec[], o: EventLogBuildOptions = {}): EventLog {
  const banks = o.banks ?? ['sha1', 'sha256'];
  const specId = buildSpecId(banks, o);
  const out: TcgEvent[] = [];
  if (o.locality !== undefined) {
    out.push(buildEvent({ pcr: 0, type: EventType.EV_NO_ACTION, data: startupLocalityData(o.locality) }, banks));
  }
  for (const e of events) out.push(buildEvent(e, banks));
  return { format: 'crypto-agile', specId, events: out };
}

/** The binary log of the given events. */
export function buildEventLogBytes(events: readonly EventSpec[], o: EventLogBuildOptions = {}): Uint8Array {
  return encodeEventLog(buildEventLog(events, o));
}

/** EV_SEPARATOR with the 4-byte value 0 that firmware writes at the end of the pre-OS phase (PFP §3.3.2.2). */
export function separator(pcr: number): EventSpec {
  return { pcr, type: EventType.EV_SEPARATOR, data: new Uint8Array(4) };
}
