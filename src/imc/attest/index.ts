/**
 * The attestation collector (PA subtype TCG/PTS, vendor 0x005597 subtype 1), strongSwan's imc-attestation in our
 * terms: it answers every PTS request of a verifier with the PTS attester (src/pts/attester) — TPM quote, AIK, file
 * measurements, firmware and IMA evidence — exclusively to the requesting IMV. It says nothing unprompted.
 *
 * Configuration (daemon `imc-attest` section, PT-TLS client module config):
 *   tcti        swtpm:host=H,port=P, swtpm:path=SOCKET (simulator on UNIX sockets) or device:PATH (default:
 *               `device`, else ATTESTD_TCTI, else /dev/tpmrm0)
 *   device      TPM device path
 *   aikHandle   persistent handle of the AIK (default 0x81010003)
 *   imaLog      binary IMA measurement list (default securityfs' binary_runtime_measurements)
 *   imaTemplateHash  template hash algorithm of that list (default sha1)
 *   bootLog     binary firmware event log (default securityfs' binary_bios_measurements)
 *   root        directory the verifier's file paths refer to (default /): /usr/bin/ is measured in <root>/usr/bin
 *               and reported as /usr/bin/…, so a device image (or a test tree) looks like a root file system
 *   maxFiles, maxFileSize, maxEvents   limits of one answer
 *   cache       yes (default) | no: keep file digests between attestations while a file's (device, inode, size,
 *               mtime, ctime) stay the same (never for a file changed within the racy window before it was read,
 *               see src/measure/file-digest-cache.ts), and parse a log that is a regular file again only when its
 *               stamp changed (securityfs logs are read every time). The quote is fresh every time.
 *
 * The TPM is opened on first use and shared by every connection of the module; `close()` releases it. A log file
 * that does not exist is taken as an empty log (the verifier then judges what the quote covers).
 */
import { ConfigError, Writer, silentLogger } from '../../common/index.ts';
import type { Logger } from '../../common/index.ts';
import { isHashName } from '../../measure/hash.ts';
import type { HashName } from '../../measure/hash.ts';
import type { EventLog } from '../../measure/eventlog.ts';
import type { ImaEntry } from '../../measure/ima.ts';
import { PaSubtype } from '../../tnc/pa/index.ts';
import type { PaAttribute, PaAttributeCodec, UnknownPaAttribute } from '../../tnc/pa/index.ts';
import type { ImcConnection, ImcModule, IncomingPa, OutgoingPa } from '../../tnc/imc-imv/index.ts';
import { ModuleOptions } from '../../tnc/imc-imv/index.ts';
import { ptsAttributeCodecs } from '../../pts/index.ts';
import { PtsAttester, PtsAttesterCache, bootLogSource, imaSource } from '../../pts/attester/index.ts';
import type { PtsAttesterOptions } from '../../pts/attester/index.ts';
import { Tpm } from '../../tpm/client.ts';
import { DEFAULT_AIK_HANDLE, loadAik } from '../../tpm/aik.ts';
import type { AikInfo } from '../../tpm/aik.ts';
import { openTransport } from '../../tpm/transport/index.ts';

export const TCG_PTS = PaSubtype.TCG_PTS;

export interface AttestImcConfig {
  tcti?: string;
  device?: string;
  aikHandle: number;
  imaLog?: string;
  imaTemplateHash: HashName;
  bootLog?: string;
  /** Directory the requested paths are resolved under (absent: the file system root). */
  root?: string;
  limits: NonNullable<PtsAttesterOptions['limits']>;
  /** Reuse digests and parsed logs of unchanged files between attestations (default true). */
  cache: boolean;
}

/** The collector module with a way to release its TPM. */
export interface AttestImcModule extends ImcModule {
  close(): Promise<void>;
}

/** Validates the module configuration. */
export function attestImcConfig(raw: Record<string, unknown>): AttestImcConfig {
  const o = new ModuleOptions(raw, 'imc attest');
  const tcti = o.string('tcti');
  const device = o.string('device');
  if (tcti && device) throw new ConfigError('imc attest: give tcti or device, not both');
  const alg = o.string('imaTemplateHash') ?? 'sha1';
  if (!isHashName(alg)) throw new ConfigError(`imc attest: unknown imaTemplateHash "${alg}"`);
  const limits: AttestImcConfig['limits'] = {};
  for (const k of ['maxFiles', 'maxFileSize', 'maxEvents'] as const) {
    const n = o.int(k);
    if (n !== undefined) limits[k] = n;
  }
  const imaLog = o.string('imaLog');
  const bootLog = o.string('bootLog');
  const root = o.string('root');
  if (root !== undefined && (!root.startsWith('/') || root.includes('\0')))
    throw new ConfigError(`imc attest: root must be an absolute directory path, not "${root}"`);
  return {
    ...(tcti ? { tcti } : {}),
    ...(device ? { device } : {}),
    aikHandle: o.int('aikHandle') ?? DEFAULT_AIK_HANDLE,
    ...(imaLog ? { imaLog } : {}),
    imaTemplateHash: alg,
    ...(bootLog ? { bootLog } : {}),
    ...(root !== undefined && root !== '/' ? { root } : {}),
    limits,
    cache: o.flag('cache') ?? true,
  };
}

const SCE = 'tcg/pts-simple-comp-evid';

/**
 * Simple Component Evidence attributes in their encoded form (a raw attribute: the PA-TNC encoder copies its value
 * as is, the bytes on the wire are the codec's), each encoded once: the attester hands out the same objects for an
 * unchanged IMA log (src/pts/attester/cache.ts), so thousands of events are not encoded again every attestation.
 */
export function preEncoder(): (attrs: PaAttribute[]) => PaAttribute[] {
  const codec = ptsAttributeCodecs.find((c) => c.kind === SCE) as PaAttributeCodec<PaAttribute> | undefined;
  const encoded = new WeakMap<PaAttribute, UnknownPaAttribute>();
  const raw = (a: PaAttribute): PaAttribute => {
    if (a.kind !== SCE || !codec) return a;
    let r = encoded.get(a);
    if (!r) {
      const w = new Writer(128);
      codec.encodeValue(w, a);
      r = { kind: 'unknown', noskip: a.noskip, vendor: codec.vendor, type: codec.type, value: w.finish() };
      encoded.set(a, r);
    }
    return r;
  };
  return (attrs) => attrs.map(raw);
}

const missing = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** The collector over an opened TPM (tests inject one; `createImc` opens the configured transport). */
export function createAttestImc(config: AttestImcConfig, tpmOf: () => Tpm, log: Logger = silentLogger): ImcModule {
  const ima = imaSource({
    ...(config.imaLog ? { imaPath: config.imaLog } : {}),
    templateHashAlg: config.imaTemplateHash,
    cache: config.cache,
  });
  const boot = bootLogSource({ ...(config.bootLog ? { bootLogPath: config.bootLog } : {}), cache: config.cache });
  // Shared by every connection of the module: the next attestation re-hashes only changed files.
  const cache = config.cache ? new PtsAttesterCache() : undefined;
  const preEncode = cache ? preEncoder() : (attrs: PaAttribute[]) => attrs;
  const imaLog = async (): Promise<readonly ImaEntry[]> => {
    try {
      return await ima();
    } catch (e) {
      if (!missing(e)) throw e;
      log.info('IMC', 'attest: no IMA measurement list, sending none');
      return [];
    }
  };
  const bootLog = async (): Promise<EventLog | undefined> => {
    try {
      return await boot();
    } catch (e) {
      if (!missing(e)) throw e;
      log.info('IMC', 'attest: no firmware event log, sending none');
      return undefined;
    }
  };
  let aik: Promise<AikInfo> | undefined;
  return {
    name: 'attest',
    subscriptions: [TCG_PTS],
    attributeCodecs: ptsAttributeCodecs,
    connect(ctx): ImcConnection {
      let attester: PtsAttester | undefined;
      const attesterFor = async (): Promise<PtsAttester> => {
        if (attester) return attester;
        const tpm = tpmOf();
        aik ??= loadAik(tpm, config.aikHandle).catch((e: unknown) => {
          aik = undefined;
          throw e;
        });
        attester = new PtsAttester({
          tpm,
          aik: await aik,
          imaLog,
          bootLog,
          ...(config.root ? { root: config.root } : {}),
          limits: config.limits,
          ...(cache ? { cache } : {}),
          log: ctx.log,
        });
        return attester;
      };
      return {
        beginHandshake(): OutgoingPa[] {
          attester = undefined; // a new handshake starts a new PTS exchange (fresh D-H nonce)
          return [];
        },
        async receive(msg: IncomingPa): Promise<OutgoingPa[]> {
          const attributes = preEncode(await (await attesterFor()).handle(msg.attributes));
          return attributes.length === 0 ? [] : [{ ...TCG_PTS, attributes, to: msg.sourceId }];
        },
      };
    },
  };
}

/** Module entry point (built-in name `attest`). */
export function createImc(raw: Record<string, unknown>): AttestImcModule {
  const config = attestImcConfig(raw);
  let tpm: Tpm | undefined;
  const module = createAttestImc(config, () => {
    // A simulator serves one connection at a time: reconnect per command so other clients (another daemon,
    // tpm2-tools) can share it. Devices (/dev/tpmrm0) multiplex by themselves.
    tpm ??= new Tpm(openTransport({ tcti: config.tcti, device: config.device }, { keepAlive: false }));
    return tpm;
  });
  return {
    ...module,
    async close() {
      const t = tpm;
      tpm = undefined;
      await t?.transport.close();
    },
  };
}
