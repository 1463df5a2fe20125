/**
 * TCG PC Client firmware event log (TCG PC Client Platform Firmware Profile Specification, "PFP", §10), as in
 * /sys/kernel/security/tpm0/binary_bios_measurements. Pure: no I/O. All integers little-endian.
 *
 * The crypto-agile log starts with one TCG_PCR_EVENT in the SHA-1 format (§10.2.1) whose data is the
 * TCG_EfiSpecIdEvent (§10.4.5.1); every later record is a TCG_PCR_EVENT2 (§10.2.2):
 *
 *   TCG_PCR_EVENT                          TCG_PCR_EVENT2
 *   +------------------------------+       +---------------------------------------------+
 *   | pcrIndex        u32          |       | pcrIndex       u32                          |
 *   | eventType       u32          |       | eventType      u32                          |
 *   | digest          [20]         |       | digests        TPML_DIGEST_VALUES:          |
 *   | eventDataSize   u32          |       |   count u32, count × (hashAlg u16, digest)  |
 *   | event           [size]       |       | eventSize      u32                          |
 *   +------------------------------+       | event          [eventSize]                  |
 *                                          +---------------------------------------------+
 *   TCG_EfiSpecIdEvent (§10.4.5.1)
 *   +--------------------------------------------------------------------------------------+
 *   | signature "Spec ID Event03\0" [16] | platformClass u32 | specVersionMinor u8 |          |
 *   | specVersionMajor u8 | specErrata u8 | uintnSize u8 | numberOfAlgorithms u32 |          |
 *   | digestSizes: numberOfAlgorithms × (algorithmId u16, digestSize u16)                   |
 *   | vendorInfoSize u8 | vendorInfo [vendorInfoSize]                                       |
 *   +--------------------------------------------------------------------------------------+
 *
 * TCG_EfiStartupLocalityEvent (§10.4.5.3): EV_NO_ACTION in PCR 0 with data "StartupLocality\0" ‖ locality(u8);
 * PCR 0 then starts at zeros with the locality in its last byte. EV_NO_ACTION events are never extended (§10.4.1).
 * A log without the Spec ID event is the TPM 1.2 SHA-1 format: TCG_PCR_EVENT records only.
 */
import { Reader, Writer, equal, utf8 } from '../common/bytes.ts';
import { LimitError, ParseError } from '../common/errors.ts';
import { reverse } from '../common/names.ts';
import { TPM_ALG } from './hash.ts';

/** Event types (PFP §10.4.1, Table 9). */
export const EventType = {
  EV_PREBOOT_CERT: 0x00000000,
  EV_POST_CODE: 0x00000001,
  EV_UNUSED: 0x00000002,
  EV_NO_ACTION: 0x00000003,
  EV_SEPARATOR: 0x00000004,
  EV_ACTION: 0x00000005,
  EV_EVENT_TAG: 0x00000006,
  EV_S_CRTM_CONTENTS: 0x00000007,
  EV_S_CRTM_VERSION: 0x00000008,
  EV_CPU_MICROCODE: 0x00000009,
  EV_PLATFORM_CONFIG_FLAGS: 0x0000000a,
  EV_TABLE_OF_DEVICES: 0x0000000b,
  EV_COMPACT_HASH: 0x0000000c,
  EV_IPL: 0x0000000d,
  EV_IPL_PARTITION_DATA: 0x0000000e,
  EV_NONHOST_CODE: 0x0000000f,
  EV_NONHOST_CONFIG: 0x00000010,
  EV_NONHOST_INFO: 0x00000011,
  EV_OMIT_BOOT_DEVICE_EVENTS: 0x00000012,
  EV_POST_CODE2: 0x00000013,
  EV_EFI_EVENT_BASE: 0x80000000,
  EV_EFI_VARIABLE_DRIVER_CONFIG: 0x80000001,
  EV_EFI_VARIABLE_BOOT: 0x80000002,
  EV_EFI_BOOT_SERVICES_APPLICATION: 0x80000003,
  EV_EFI_BOOT_SERVICES_DRIVER: 0x80000004,
  EV_EFI_RUNTIME_SERVICES_DRIVER: 0x80000005,
  EV_EFI_GPT_EVENT: 0x80000006,
  EV_EFI_ACTION: 0x80000007,
  EV_EFI_PLATFORM_FIRMWARE_BLOB: 0x80000008,
  EV_EFI_HANDOFF_TABLES: 0x80000009,
  EV_EFI_PLATFORM_FIRMWARE_BLOB2: 0x8000000a,
  EV_EFI_HANDOFF_TABLES2: 0x8000000b,
  EV_EFI_VARIABLE_BOOT2: 0x8000000c,
  EV_EFI_GPT_EVENT2: 0x8000000d,
  EV_EFI_HCRTM_EVENT: 0x80000010,
  EV_EFI_VARIABLE_AUTHORITY: 0x800000e0,
  EV_EFI_SPDM_FIRMWARE_BLOB: 0x800000e1,
  EV_EFI_SPDM_FIRMWARE_CONFIG: 0x800000e2,
  EV_EFI_SPDM_DEVICE_POLICY: 0x800000e3,
  EV_EFI_SPDM_DEVICE_AUTHORITY: 0x800000e4,
} as const;
export const EventTypeNames = reverse(EventType);

export const SPEC_ID_SIGNATURE = 'Spec ID Event03\0';
export const STARTUP_LOCALITY_SIGNATURE = 'StartupLocality\0';
const SHA1_SIZE = 20;
/** Largest digest of the TCG algorithm registry (SHA-512, SHA3-512). */
const MAX_DIGEST_SIZE = 64;

/** One entry of TCG_EfiSpecIdEvent.digestSizes. */
export interface AlgorithmSize {
  algId: number;
  digestSize: number;
}

/** TCG_EfiSpecIdEvent (PFP §10.4.5.1). */
export interface SpecIdEvent {
  platformClass: number;
  specVersionMinor: number;
  specVersionMajor: number;
  specErrata: number;
  /** 1 = UINT32, 2 = UINT64 (UEFI UINTN size in 4-byte units). */
  uintnSize: number;
  algorithms: AlgorithmSize[];
  vendorInfo: Uint8Array;
}

export interface EventDigest {
  /** TPM_ALG_ID. */
  alg: number;
  digest: Uint8Array;
}

/** A TCG_PCR_EVENT2 (or a TCG_PCR_EVENT with a single SHA-1 digest). */
export interface TcgEvent {
  pcr: number;
  type: number;
  digests: EventDigest[];
  data: Uint8Array;
  /** Offset of the record in the parsed log. */
  offset?: number;
}

export interface EventLog {
  /** crypto-agile (TCG_PCR_EVENT2 after a Spec ID event) or the TPM 1.2 SHA-1 format. */
  format: 'crypto-agile' | 'sha1';
  /** The first record (TCG_PCR_EVENT carrying the Spec ID event) of a crypto-agile log. */
  header?: TcgEvent;
  specId?: SpecIdEvent;
  /** Every record after the header (all records of a SHA-1 log). */
  events: TcgEvent[];
}

export interface EventLogParseOptions {
  /** Maximum number of events (LimitError beyond). Default 100,000. */
  maxEvents?: number;
  /** Maximum event data size. Default 1 MiB. */
  maxEventSize?: number;
  /**
   * Accept trailing bytes that are all 0x00 or all 0xff (the unused part of a firmware log area) instead of
   * failing. Default true.
   */
  allowTrailingPadding?: boolean;
}

const SPEC_ID_BYTES = utf8(SPEC_ID_SIGNATURE);
const STARTUP_BYTES = utf8(STARTUP_LOCALITY_SIGNATURE);

// ---------------------------------------------------------------------------------------------------------------
// Spec ID event and StartupLocality

export function decodeSpecIdEvent(data: Uint8Array, path = 'specIdEvent', base = 0): SpecIdEvent {
  const r = new Reader(data, path, base);
  if (!equal(r.bytes(16, 'signature'), SPEC_ID_BYTES)) r.fail('signature', 'not "Spec ID Event03"', 0);
  const platformClass = r.u32le('platformClass');
  const specVersionMinor = r.u8('specVersionMinor');
  const specVersionMajor = r.u8('specVersionMajor');
  const specErrata = r.u8('specErrata');
  const uintnSize = r.u8('uintnSize');
  const n = r.u32le('numberOfAlgorithms');
  // Each entry is 4 bytes: refuse counts the data cannot hold before allocating.
  if (n === 0 || n * 4 > r.remaining) r.fail('numberOfAlgorithms', `invalid count ${n}`);
  const algorithms: AlgorithmSize[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const algId = r.u16le(`digestSizes[${i}].algorithmId`);
    const digestSize = r.u16le(`digestSizes[${i}].digestSize`);
    if (digestSize === 0 || digestSize > MAX_DIGEST_SIZE) r.fail(`digestSizes[${i}].digestSize`, `${digestSize}`);
    if (seen.has(algId)) r.fail(`digestSizes[${i}].algorithmId`, `algorithm ${algId} listed twice`);
    seen.add(algId);
    algorithms.push({ algId, digestSize });
  }
  const vlen = r.u8('vendorInfoSize');
  const vendorInfo = r.copy(vlen, 'vendorInfo');
  r.end();
  return { platformClass, specVersionMinor, specVersionMajor, specErrata, uintnSize, algorithms, vendorInfo };
}

export function encodeSpecIdEvent(s: SpecIdEvent): Uint8Array {
  const w = new Writer(64);
  w.bytes(SPEC_ID_BYTES)
    .u32le(s.platformClass)
    .u8(s.specVersionMinor)
    .u8(s.specVersionMajor)
    .u8(s.specErrata)
    .u8(s.uintnSize)
    .u32le(s.algorithms.length);
  for (const a of s.algorithms) w.u16le(a.algId).u16le(a.digestSize);
  w.u8(s.vendorInfo.byteLength).bytes(s.vendorInfo);
  return w.finish();
}

/** The locality of a StartupLocality event's data, or undefined for other EV_NO_ACTION data. */
export function startupLocality(e: TcgEvent): number | undefined {
  if (e.type !== EventType.EV_NO_ACTION || e.pcr !== 0 || e.data.byteLength !== 17) return undefined;
  const r = new Reader(e.data, 'startupLocality');
  if (!equal(r.bytes(16, 'signature'), STARTUP_BYTES)) return undefined;
  return r.u8('locality');
}

export function startupLocalityData(locality: number): Uint8Array {
  return new Writer(17).bytes(STARTUP_BYTES).u8(locality).finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Records

function readEvent1(r: Reader, maxEventSize: number): TcgEvent {
  const offset = r.absolute;
  const pcr = r.u32le('pcrIndex');
  const type = r.u32le('eventType');
  const d = r.copy(SHA1_SIZE, 'digest');
  const size = r.u32le('eventDataSize');
  if (size > maxEventSize) throw new LimitError('eventlog.maxEventSize', `event at ${offset}: ${size} bytes`);
  const data = r.copy(size, 'event');
  return { pcr, type, digests: [{ alg: TPM_ALG.SHA1, digest: d }], data, offset };
}

function readEvent2(r: Reader, sizes: ReadonlyMap<number, number>, maxEventSize: number): TcgEvent {
  const offset = r.absolute;
  const pcr = r.u32le('pcrIndex');
  const type = r.u32le('eventType');
  const count = r.u32le('digests.count');
  if (count > sizes.size) r.fail('digests.count', `${count} digests, the Spec ID event lists ${sizes.size}`);
  const digests: EventDigest[] = [];
  for (let i = 0; i < count; i++) {
    const alg = r.u16le(`digests[${i}].hashAlg`);
    const size = sizes.get(alg);
    if (size === undefined) r.fail(`digests[${i}].hashAlg`, `algorithm 0x${alg.toString(16)} not in the Spec ID event`);
    if (digests.some((x) => x.alg === alg)) r.fail(`digests[${i}].hashAlg`, `algorithm 0x${alg.toString(16)} twice`);
    digests.push({ alg, digest: r.copy(size, `digests[${i}].digest`) });
  }
  const size = r.u32le('eventSize');
  if (size > maxEventSize) throw new LimitError('eventlog.maxEventSize', `event at ${offset}: ${size} bytes`);
  const data = r.copy(size, 'event');
  return { pcr, type, digests, data, offset };
}

function isPadding(b: Uint8Array): boolean {
  const first = b[0];
  if (first !== 0x00 && first !== 0xff) return false;
  for (const x of b) if (x !== first) return false;
  return true;
}

/** Parses a firmware event log (crypto-agile or SHA-1 format). */
export function parseEventLog(bytes: Uint8Array, opts: EventLogParseOptions = {}): EventLog {
  const maxEvents = opts.maxEvents ?? 100_000;
  const maxEventSize = opts.maxEventSize ?? 1024 * 1024;
  const padding = opts.allowTrailingPadding ?? true;
  const r = new Reader(bytes, 'eventlog');
  const first = readEvent1(new Reader(bytes, 'eventlog.event[0]'), maxEventSize);
  const agile =
    first.pcr === 0 &&
    first.type === EventType.EV_NO_ACTION &&
    first.data.byteLength >= 16 &&
    equal(first.data.subarray(0, 16), SPEC_ID_BYTES);
  const events: TcgEvent[] = [];
  let header: TcgEvent | undefined;
  let specId: SpecIdEvent | undefined;
  let sizes: Map<number, number> | undefined;
  if (agile) {
    const hr = new Reader(bytes, 'eventlog.header');
    header = readEvent1(hr, maxEventSize);
    specId = decodeSpecIdEvent(header.data, 'eventlog.header.specIdEvent', 32);
    sizes = new Map(specId.algorithms.map((a) => [a.algId, a.digestSize]));
    r.skip(hr.offset, 'header');
  }
  while (!r.done) {
    if (padding && isPadding(bytes.subarray(r.offset))) break;
    if (events.length >= maxEvents) throw new LimitError('eventlog.maxEvents', `more than ${maxEvents} events`);
    const er = new Reader(bytes.subarray(r.offset), `eventlog.event[${events.length + (agile ? 1 : 0)}]`, r.offset);
    events.push(sizes ? readEvent2(er, sizes, maxEventSize) : readEvent1(er, maxEventSize));
    r.skip(er.offset, 'event');
  }
  return agile ? { format: 'crypto-agile', header, specId, events } : { format: 'sha1', events };
}

/** Encodes a log: the header record in the SHA-1 format, then TCG_PCR_EVENT2 records (or all SHA-1 records). */
export function encodeEventLog(log: EventLog): Uint8Array {
  const w = new Writer(4096);
  const write1 = (e: TcgEvent) => {
    const d = e.digests.find((x) => x.alg === TPM_ALG.SHA1)?.digest ?? new Uint8Array(SHA1_SIZE);
    if (d.byteLength !== SHA1_SIZE) throw new ParseError('SHA-1 digest of wrong size', 0, 'eventlog.digest');
    w.u32le(e.pcr).u32le(e.type).bytes(d).u32le(e.data.byteLength).bytes(e.data);
  };
  if (log.format === 'sha1') {
    for (const e of log.events) write1(e);
    return w.finish();
  }
  const spec = log.specId ?? (log.header ? decodeSpecIdEvent(log.header.data) : undefined);
  if (!spec) throw new ParseError('crypto-agile log without Spec ID event', 0, 'eventlog.header');
  const header = log.header ?? {
    pcr: 0,
    type: EventType.EV_NO_ACTION,
    digests: [{ alg: TPM_ALG.SHA1, digest: new Uint8Array(SHA1_SIZE) }],
    data: encodeSpecIdEvent(spec),
  };
  write1(header);
  const sizes = new Map(spec.algorithms.map((a) => [a.algId, a.digestSize]));
  for (const e of log.events) {
    w.u32le(e.pcr).u32le(e.type).u32le(e.digests.length);
    for (const d of e.digests) {
      if (sizes.get(d.alg) !== d.digest.byteLength) {
        throw new ParseError(
          `digest of algorithm 0x${d.alg.toString(16)} does not match the Spec ID event`,
          0,
          'eventlog',
        );
      }
      w.u16le(d.alg).bytes(d.digest);
    }
    w.u32le(e.data.byteLength).bytes(e.data);
  }
  return w.finish();
}
