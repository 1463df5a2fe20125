/**
 * The PTS attester core (IMC side), message-in/message-out over PA-TNC attribute lists: it answers each request of
 * the verifier (strongSwan's IMV order, see src/pts/verify/verifier.ts) with the TPM (src/tpm), the file system and
 * the kernel's logs (src/measure). Bad requests are answered with a PTS error attribute (vendor TCG), never a throw.
 *
 *   Request PTS Protocol Capabilities    → PTS Protocol Capabilities (T|D with a TPM)
 *   Measurement Algorithms               → Measurement Algorithm Selection
 *   Request File Measurement             → File Measurement (regular files directly in a directory, relative names)
 *                                          of the path under `root` (a device image mounted elsewhere), named as
 *                                          the verifier asked
 *   Request File Metadata                → Unix-Style File Metadata
 *   D-H Nonce Parameters Request         → D-H Nonce Parameters Response (our nonce and public value)
 *   D-H Nonce Finish                     → (secret = H('1' ‖ initiator nonce ‖ responder nonce ‖ D-H secret))
 *   Get TPM Version Information          → TPM Version Information (strongSwan's 16-byte TPM 2.0 form)
 *   Get AIK                              → AIK (naked SPKI, or the certificate when configured)
 *   Request Functional Component Evidence→ (remembered)
 *   Generate Attestation Evidence        → Simple Component Evidence per BIOS/IMA event + Simple Evidence Final
 *                                          (TPM2_Quote over the touched PCRs with the secret as qualifyingData)
 */
import { createHash, hash as oneShot } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { AttestdError, LimitError, concat, silentLogger, systemRng, utf8 } from '../../common/index.ts';
import type { Logger, Rng } from '../../common/index.ts';
import type { KeyExchange } from '../../crypto/index.ts';
import type { PaAttribute } from '../../tnc/pa/attribute.ts';
import { EventType, startupLocality } from '../../measure/eventlog.ts';
import type { EventLog } from '../../measure/eventlog.ts';
import { decodeEvent } from '../../measure/ima.ts';
import type { ImaEntry } from '../../measure/ima.ts';
import { imaExtendValue } from '../../measure/replay.ts';
import type { ImaReplayOptions } from '../../measure/replay.ts';
import { DIGEST_SIZE, hashOfTpmAlg, tpmAlgOf } from '../../measure/hash.ts';
import type { HashName } from '../../measure/hash.ts';
import { KEY_SCHEME } from '../../tpm/aik.ts';
import type { AikInfo } from '../../tpm/aik.ts';
import type { Tpm } from '../../tpm/client.ts';
import { CURVE } from '../../tpm/keys.ts';
import { marshal, unmarshal } from '../../tpm/marshal.ts';
import { TPMS_ATTEST, TPMS_CLOCK_INFO, quoteInfo } from '../../tpm/types/attest.ts';
import { TPML_PCR_SELECTION, pcrSelectBytes } from '../../tpm/types/basic.ts';
import { TPM_ALG, TPM_PT } from '../../tpm/types/constants.ts';
import type { TPMS_SIGNATURE_ECC, TPMS_SIGNATURE_RSA } from '../../tpm/types/signature.ts';
import {
  PTS_DEFAULT_MEAS_ALGOS,
  PtsCompEvidValidation,
  PtsError,
  PtsFileType,
  PtsMeasAlgo,
  PtsPcrTransform,
  PtsProtoCaps,
  PtsSimpleEvidFinalFlag,
  measAlgoHash,
  measAlgoOf,
  selectDhGroup,
  selectMeasAlgo,
} from '../constants.ts';
import type { PtsCompFuncName } from '../constants.ts';
import {
  PTS_MIN_NONCE_LENGTH,
  PTS_NONCE_LENGTH,
  PTS_SUPPORTED_DH_GROUPS,
  ptsKeyExchange,
  ptsSecret,
} from '../dh-nonce.ts';
import { encodeTpm2VersionInfo } from '../attrs/tpm-version-info.ts';
import { PTS_UNKNOWN_TIME } from '../attrs/simple-component-evidence.ts';
import type { PtsFileMetadata } from '../attrs/unix-file-metadata.ts';
import type { PtsFileMeasurementEntry, TcgPtsFileMeas } from '../attrs/file-measurement.ts';
import { fileMeasurementValueBudget, splitFileMeasurement } from '../attrs/file-measurement-split.ts';
import { BIOS_COMPONENT, IMA_COMPONENT, componentKind, ptsErrorAttribute } from '../components.ts';
import type { ImaEvidence, PtsAttesterCache } from './cache.ts';

/** Files up to this size are read whole; larger ones are streamed. */
const SMALL_FILE = 1 << 20;
/** Files of a directory hashed between two turns of the event loop… */
const HASH_BATCH = 64;
/** …where a file answered from the cache (one lstat) counts as this fraction of a hashed one. */
const CACHE_HIT_WEIGHT = 1 / 16;

export interface PtsAttesterOptions {
  /**
   * The directory the verifier's absolute paths refer to (default `/`): a request for /usr/bin/ is answered with
   * the files of <root>/usr/bin, reported under the names asked for, so a device image or a container's tree looks
   * like a root file system. Symbolic links that lead out of it are refused.
   */
  root?: string;
  /** The TPM; without it the attester offers file measurements only. */
  tpm?: Tpm;
  /** The persisted AIK (src/tpm createAik/loadAik). */
  aik?: AikInfo;
  /** DER X.509 certificate of the AIK; without it the naked key is sent. */
  aikCertificate?: Uint8Array;
  /** Supported measurement algorithms (default SHA-384 | SHA-256 | SHA-1). */
  measAlgorithms?: number;
  /** Supported D-H groups (default IKE20 | IKE19 | IKE14). */
  dhGroups?: number;
  /** The startup locality reported in the TPM version info (default: the boot log's, else 0). */
  locality?: number;
  /** The IMA measurement list (default: none). The IMC wires `collectIma` of src/measure/collect.ts here. */
  imaLog?: () => Promise<readonly ImaEntry[]>;
  /** IMA replay mode of the kernel (per-bank template hashes since Linux 5.8). */
  imaMode?: ImaReplayOptions['mode'];
  /** The firmware event log (default: none). The IMC wires `collectEventLog` here. */
  bootLog?: () => Promise<EventLog | undefined>;
  limits?: {
    /** Most files measured per request (default 10,000). */
    maxFiles?: number;
    /** Largest file hashed (default 1 GiB). */
    maxFileSize?: number;
    /** Most evidence events sent (default 200,000). */
    maxEvents?: number;
  };
  /**
   * Kept between attestations (one per collector, see cache.ts): file digests reused while a file's (dev, ino,
   * size, mtime, ctime) are unchanged, and the per-entry IMA evidence of a cached log. Default: none.
   */
  cache?: PtsAttesterCache;
  rng?: Rng;
  log?: Logger;
}

const SLASH = 0x2f;

class Answer extends AttestdError {
  readonly attr: PaAttribute;
  constructor(code: number, message: string) {
    super('ERR_PTS_ANSWER', message);
    this.attr = ptsErrorAttribute(code, utf8(message));
  }
}

export class PtsAttester {
  readonly #o: PtsAttesterOptions;
  readonly #rng: Rng;
  readonly #log: Logger;
  #measAlgo = 0;
  #ke: KeyExchange | undefined;
  #responderNonce: Uint8Array | undefined;
  #secret: Uint8Array | undefined;
  #components: PtsCompFuncName[] = [];

  constructor(o: PtsAttesterOptions = {}) {
    this.#o = o;
    this.#rng = o.rng ?? systemRng;
    this.#log = o.log ?? silentLogger;
  }

  /** The quote nonce agreed in the D-H exchange (for tests and logs). */
  get secret(): Uint8Array | undefined {
    return this.#secret;
  }

  #algorithms(): number {
    return this.#o.measAlgorithms ?? PTS_DEFAULT_MEAS_ALGOS;
  }
  /** Our algorithms, restricted to the TPM's active PCR banks (the quote and the evidence share one bank). */
  async #usableAlgorithms(): Promise<number> {
    const ours = this.#algorithms();
    if (!this.#o.tpm) return ours;
    let mask = 0;
    for (const b of await this.#o.tpm.pcrBanks()) {
      const h = b.pcrs.length ? hashOfTpmAlg(b.hash) : undefined;
      if (h) mask |= measAlgoOf(h) ?? 0;
    }
    return ours & mask;
  }
  #bank(): HashName {
    return measAlgoHash(this.#measAlgo) ?? 'sha256';
  }

  /** Answers the verifier's attributes in order. */
  async handle(attrs: readonly PaAttribute[]): Promise<PaAttribute[]> {
    const out: PaAttribute[] = [];
    for (const a of attrs) {
      try {
        out.push(...(await this.#one(a)));
      } catch (e) {
        if (e instanceof Answer) out.push(e.attr);
        else {
          const m = e instanceof Error ? e.message : String(e);
          this.#log.error('PTS', `cannot answer ${a.kind}: ${m}`);
          out.push(ptsErrorAttribute(PtsError.UNABLE_CUR_EVID, utf8(m)));
        }
      }
    }
    return out;
  }

  async #one(a: PaAttribute): Promise<PaAttribute[]> {
    const v = a as PaAttribute & Record<string, unknown>;
    switch (a.kind) {
      case 'tcg/pts-req-proto-caps': {
        const flags = this.#o.tpm && this.#o.aik ? PtsProtoCaps.T | PtsProtoCaps.D : 0;
        return [{ kind: 'tcg/pts-proto-caps', noskip: false, flags } as PaAttribute];
      }
      case 'tcg/pts-meas-algo': {
        const sel = selectMeasAlgo(await this.#usableAlgorithms(), v.algorithms as number);
        if (sel === undefined) throw new Answer(PtsError.HASH_ALG_NOT_SUPPORTED, 'no common measurement algorithm');
        this.#measAlgo = sel;
        return [{ kind: 'tcg/pts-meas-algo-selection', noskip: false, algorithms: sel } as PaAttribute];
      }
      case 'tcg/pts-req-file-meas': {
        // too many files for one PT-EAP batch: several File Measurements for this request (the verifier merges)
        const whole = await this.#fileMeasurement(
          v.path as string,
          v.directory as boolean,
          v.requestId as number,
          v.delimiter as number,
        );
        const split = (m: TcgPtsFileMeas) => splitFileMeasurement(m, fileMeasurementValueBudget());
        const cache = this.#o.cache;
        return cache ? cache.splitFileMeasurement(`${v.directory ? 'd' : 'f'}:${v.path}`, whole, split) : split(whole);
      }
      case 'tcg/pts-req-file-meta':
        return [await this.#fileMetadata(v.path as string, v.directory as boolean, v.delimiter as number)];
      case 'tcg/pts-dh-nonce-params-req':
        return [this.#dhResponse(v.minNonceLength as number, v.dhGroups as number)];
      case 'tcg/pts-dh-nonce-finish':
        this.#dhFinish(v.hashAlgorithm as number, v.initiatorValue as Uint8Array, v.initiatorNonce as Uint8Array);
        return [];
      case 'tcg/pts-get-tpm-version-info':
        return [await this.#versionInfo()];
      case 'tcg/pts-get-aik': {
        if (!this.#o.aik) throw new Answer(PtsError.OPERATION_NOT_SUPPORTED, 'no AIK');
        const cert = this.#o.aikCertificate;
        return [{ kind: 'tcg/pts-aik', noskip: false, naked: !cert, aik: cert ?? this.#o.aik.spki } as PaAttribute];
      }
      case 'tcg/pts-req-func-comp-evid': {
        const comps = v.components as { name: PtsCompFuncName }[];
        for (const c of comps) {
          if (componentKind(c) === 'other')
            throw new Answer(
              PtsError.OPERATION_NOT_SUPPORTED,
              `unknown component ${c.name.vendor}/${c.name.qualifier}/${c.name.name}`,
            );
        }
        this.#components = comps.map((c) => c.name);
        return [];
      }
      case 'tcg/pts-gen-attest-evid':
        return this.#evidence();
      default:
        return [];
    }
  }

  // ----- files ------------------------------------------------------------------------------------------------

  #checkPath(path: string, delimiter: number): void {
    if (delimiter !== SLASH)
      throw new Answer(PtsError.INVALID_DELIMITER, `delimiter 0x${delimiter.toString(16)} is not '/'`);
    if (!path.startsWith('/') || path.includes('\0') || path.split('/').includes('..'))
      throw new Answer(PtsError.INVALID_PATH, `${path} is not an absolute path`);
  }

  /**
   * Where a requested (absolute, checked) path is on this machine: itself, or under `root`, whose resolved location
   * the directory holding it must stay in (a link to /usr/bin inside the tree must not measure the host's files).
   */
  async #local(path: string, directory: boolean): Promise<string> {
    const root = this.#o.root;
    if (root === undefined || root === '/') return path;
    const local = join(root, path);
    const dir = directory ? local : dirname(local);
    const [top, real] = await Promise.all([realpath(root), realpath(dir)]);
    if (real !== top && !real.startsWith(top.endsWith(sep) ? top : top + sep))
      throw new Answer(PtsError.INVALID_PATH, `${path} leads out of the measured tree`);
    return directory ? real : join(real, basename(local));
  }

  /**
   * The digest of one file. A small file is read with synchronous calls (four system calls, no thread-pool round
   * trips: for thousands of small files the asynchronous calls cost ten times the hashing); callers yield to the
   * event loop between batches. A large file is streamed.
   */
  async #hashFile(path: string, alg: HashName, name = path): Promise<Uint8Array> {
    const max = this.#o.limits?.maxFileSize ?? 1 << 30;
    const cache = this.#o.cache?.files;
    const started = Date.now();
    const fd = openSync(path, 'r');
    let st: Stats;
    let small: Uint8Array | undefined;
    try {
      st = fstatSync(fd);
      const size = st.size;
      if (size > max) throw new LimitError('pts.maxFileSize', `${name} is larger than ${max} bytes`);
      if (size <= SMALL_FILE) {
        const buf = Buffer.allocUnsafe(size);
        let off = 0;
        while (off < size) {
          const n = readSync(fd, buf, off, size - off, off);
          if (n === 0) break;
          off += n;
        }
        const d = oneShot(alg, buf.subarray(0, off), 'buffer');
        small = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      }
    } finally {
      closeSync(fd);
    }
    if (!small) {
      // A large file is streamed by path: the stamp above need not describe what the stream reads, so not cached.
      const h = createHash(alg);
      for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
      return new Uint8Array(h.digest());
    }
    // Only a regular file's digest is remembered (a device or FIFO has no meaningful stamp). A change during the
    // read sets a ctime after `started`: such a digest is not stored, and a stored stamp no longer matches.
    if (cache && st.isFile()) cache.store(path, st, started, alg, small);
    return small;
  }

  /** The digest of a regular file from the cache, if its lstat still matches; else hashed. */
  async #cachedHash(path: string, alg: HashName, name: string): Promise<{ digest: Uint8Array; hit: boolean }> {
    const cache = this.#o.cache?.files;
    if (cache) {
      const st = lstatSync(path, { throwIfNoEntry: false });
      const d = st?.isFile() ? cache.lookup(path, st, alg) : undefined;
      if (d) return { digest: d, hit: true };
    }
    return { digest: await this.#hashFile(path, alg, name), hit: false };
  }

  async #regularFiles(dir: string, name = dir): Promise<string[]> {
    const max = this.#o.limits?.maxFiles ?? 10_000;
    const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    if (names.length > max) throw new Answer(PtsError.OPERATION_NOT_SUPPORTED, `${name} holds more than ${max} files`);
    return names.sort();
  }

  async #fileMeasurement(
    path: string,
    directory: boolean,
    requestId: number,
    delimiter: number,
  ): Promise<TcgPtsFileMeas> {
    this.#checkPath(path, delimiter);
    const alg = this.#bank();
    const files: PtsFileMeasurementEntry[] = [];
    try {
      const local = await this.#local(path, directory);
      if (directory) {
        const dir = local.replace(/\/$/, '');
        const names = await this.#regularFiles(local, path);
        const prefix = path.replace(/\/$/, '');
        let work = 0;
        for (const name of names) {
          // A batch of files at a time, then the event loop gets its turn (IKE and other connections go on).
          if (work >= HASH_BATCH) {
            work = 0;
            await new Promise<void>((r) => setImmediate(r));
          }
          const { digest, hit } = await this.#cachedHash(`${dir}/${name}`, alg, `${prefix}/${name}`);
          work += hit ? CACHE_HIT_WEIGHT : 1;
          files.push({ filename: name, measurement: digest });
        }
      } else {
        const st = await lstat(local);
        if (!st.isFile()) throw new Answer(PtsError.INVALID_PATH, `${path} is not a regular file`);
        files.push({ filename: path, measurement: (await this.#cachedHash(local, alg, path)).digest });
      }
    } catch (e) {
      if (e instanceof Answer) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new Answer(PtsError.FILE_NOT_FOUND, `${path} not found`);
      throw new Answer(PtsError.UNABLE_CUR_EVID, `${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return {
      kind: 'tcg/pts-file-meas',
      noskip: false,
      requestId,
      measurementLength: DIGEST_SIZE[alg],
      files,
    };
  }

  async #fileMetadata(path: string, directory: boolean, delimiter: number): Promise<PaAttribute> {
    this.#checkPath(path, delimiter);
    const files: PtsFileMetadata[] = [];
    const meta = async (p: string, name: string) => {
      const st = await lstat(p, { bigint: true });
      const type = st.isFile()
        ? PtsFileType.REGULAR
        : st.isDirectory()
          ? PtsFileType.DIRECTORY
          : st.isSymbolicLink()
            ? PtsFileType.SYMLINK
            : st.isFIFO()
              ? PtsFileType.FIFO
              : st.isSocket()
                ? PtsFileType.SOCKET
                : st.isCharacterDevice()
                  ? PtsFileType.CHAR
                  : st.isBlockDevice()
                    ? PtsFileType.BLOCK
                    : PtsFileType.UNKNOWN;
      const s = (ns: bigint) => ns / 1_000_000_000n;
      files.push({
        filename: name,
        type,
        size: st.size,
        created: s(st.birthtimeNs),
        modified: s(st.mtimeNs),
        accessed: s(st.atimeNs),
        owner: st.uid,
        group: st.gid,
      });
    };
    try {
      const local = await this.#local(path, directory);
      if (directory) {
        const max = this.#o.limits?.maxFiles ?? 10_000;
        const names = (await readdir(local)).sort();
        if (names.length > max)
          throw new Answer(PtsError.OPERATION_NOT_SUPPORTED, `${path} holds more than ${max} entries`);
        for (const n of names) await meta(`${local.replace(/\/$/, '')}/${n}`, n);
      } else await meta(local, path);
    } catch (e) {
      if (e instanceof Answer) throw e;
      throw new Answer(PtsError.FILE_NOT_FOUND, `${path} not found`);
    }
    return { kind: 'tcg/pts-unix-file-meta', noskip: false, files } as PaAttribute;
  }

  // ----- D-H nonce ----------------------------------------------------------------------------------------------

  #dhResponse(minNonceLength: number, groups: number): PaAttribute {
    if (!this.#o.tpm) throw new Answer(PtsError.OPERATION_NOT_SUPPORTED, 'no TPM');
    if (minNonceLength > 255) throw new Answer(PtsError.BAD_NONCE_LENGTH, `nonce length ${minNonceLength}`);
    const group = selectDhGroup((this.#o.dhGroups ?? PTS_SUPPORTED_DH_GROUPS) & PTS_SUPPORTED_DH_GROUPS, groups);
    if (group === undefined)
      throw new Answer(PtsError.DH_GRPS_NOT_SUPPORTED, `no common D-H group in 0x${groups.toString(16)}`);
    this.#ke?.dispose();
    this.#ke = ptsKeyExchange(group, this.#rng);
    this.#responderNonce = this.#rng(Math.max(PTS_NONCE_LENGTH, PTS_MIN_NONCE_LENGTH, minNonceLength));
    this.#secret = undefined;
    return {
      kind: 'tcg/pts-dh-nonce-params-resp',
      noskip: false,
      dhGroup: group,
      hashAlgorithms: this.#algorithms(),
      responderNonce: this.#responderNonce,
      responderValue: this.#ke.publicValue(),
    } as PaAttribute;
  }

  #dhFinish(hashAlgorithm: number, initiatorValue: Uint8Array, initiatorNonce: Uint8Array): void {
    const ke = this.#ke;
    if (!ke || !this.#responderNonce)
      throw new Answer(PtsError.OPERATION_NOT_SUPPORTED, 'D-H Nonce Finish without a D-H exchange');
    if (!(hashAlgorithm & this.#algorithms()) || !measAlgoHash(hashAlgorithm))
      throw new Answer(PtsError.HASH_ALG_NOT_SUPPORTED, `hash algorithm 0x${hashAlgorithm.toString(16)}`);
    if (initiatorNonce.byteLength < PTS_MIN_NONCE_LENGTH)
      throw new Answer(PtsError.BAD_NONCE_LENGTH, `initiator nonce of ${initiatorNonce.byteLength} bytes`);
    try {
      ke.receive(initiatorValue);
    } catch (e) {
      throw new Answer(
        PtsError.DH_GRPS_NOT_SUPPORTED,
        `initiator public value rejected: ${e instanceof Error ? e.message : e}`,
      );
    }
    this.#secret = ptsSecret(hashAlgorithm, initiatorNonce, this.#responderNonce, ke.sharedSecret());
    ke.dispose();
    this.#ke = undefined;
  }

  // ----- TPM ----------------------------------------------------------------------------------------------------

  async #versionInfo(): Promise<PaAttribute> {
    const tpm = this.#o.tpm;
    if (!tpm) throw new Answer(PtsError.TPM_VERS_NOT_SUPPORTED, 'no TPM');
    const p = await tpm.properties(TPM_PT.REVISION, TPM_PT.MANUFACTURER);
    let locality = this.#o.locality;
    if (locality === undefined) {
      const log = this.#o.bootLog ? await this.#o.bootLog() : undefined;
      for (const e of log?.events ?? []) locality = startupLocality(e) ?? locality;
    }
    const info = encodeTpm2VersionInfo({
      locality: locality ?? 0,
      revision: p.get(TPM_PT.REVISION) ?? 0,
      year: p.get(TPM_PT.YEAR) ?? 0,
      vendor: p.get(TPM_PT.MANUFACTURER) ?? 0,
    });
    return { kind: 'tcg/pts-tpm-version-info', noskip: false, info } as PaAttribute;
  }

  async #evidence(): Promise<PaAttribute[]> {
    const tpm = this.#o.tpm;
    const aik = this.#o.aik;
    if (!tpm || !aik) throw new Answer(PtsError.OPERATION_NOT_SUPPORTED, 'no TPM or AIK');
    if (!this.#secret) throw new Answer(PtsError.UNABLE_CUR_EVID, 'no D-H nonce was agreed');
    const bank = this.#bank();
    const algo = measAlgoOf(bank) ?? PtsMeasAlgo.SHA256;
    const maxEvents = this.#o.limits?.maxEvents ?? 200_000;
    const out: PaAttribute[] = [];
    const pcrs = new Set<number>();
    const push = (attr: PaAttribute, pcr: number) => {
      if (out.length >= maxEvents) throw new Answer(PtsError.UNABLE_CUR_EVID, `more than ${maxEvents} evidence events`);
      pcrs.add(pcr);
      out.push(attr);
    };
    const attribute = (name: PtsCompFuncName, pcr: number, measurement: Uint8Array, policyUri?: string) =>
      ({
        kind: 'tcg/pts-simple-comp-evid',
        noskip: false,
        depth: 0,
        name,
        pcr,
        hashAlgorithm: algo,
        transform: PtsPcrTransform.MATCH,
        time: PTS_UNKNOWN_TIME,
        validation: policyUri === undefined ? PtsCompEvidValidation.NONE : PtsCompEvidValidation.PASSED,
        ...(policyUri === undefined ? {} : { policyUri }),
        measurement,
      }) as PaAttribute;
    for (const c of this.#components) {
      const kind = componentKind({ name: c });
      if (kind === 'bios') {
        const log = this.#o.bootLog ? await this.#o.bootLog() : undefined;
        const alg = tpmAlgOf(bank);
        for (const e of log?.events ?? []) {
          if (e.type === EventType.EV_NO_ACTION) continue;
          const d = e.digests.find((x) => x.alg === alg);
          if (!d) throw new Answer(PtsError.UNABLE_CUR_EVID, `boot event of PCR ${e.pcr} has no ${bank} digest`);
          push(attribute(BIOS_COMPONENT, e.pcr, d.digest), e.pcr);
        }
      } else if (kind === 'ima') {
        const entries = this.#o.imaLog ? await this.#o.imaLog() : [];
        const mode = this.#o.imaMode;
        const compute = (e: ImaEntry): ImaEvidence => {
          let uri: string;
          try {
            const d = decodeEvent(e);
            uri = d ? `${d.digestPrefix}:${d.path}` : `${e.templateName}:`;
          } catch {
            uri = `${e.templateName}:`;
          }
          return {
            pcr: e.pcr,
            attr: attribute(IMA_COMPONENT, e.pcr, imaExtendValue(e, bank, mode ? { mode } : {}), uri),
          };
        };
        // With a cache, the same (immutable) attribute objects each time the log is unchanged: the collector can
        // keep their encoding too.
        const cache = this.#o.cache;
        const evidence = cache ? cache.imaEvidence(entries, bank, mode ?? 'per-bank', compute) : entries.map(compute);
        for (const { pcr, attr } of evidence) push(attr, pcr);
      }
    }
    const selected = [...pcrs].sort((a, b) => a - b);
    if (!selected.length) selected.push(10);
    const q = await tpm.quote(
      aik.handle,
      this.#secret,
      [{ hash: tpmAlgOf(bank), pcrSelect: pcrSelectBytes(selected) }],
      KEY_SCHEME,
    );
    const attest = unmarshal(TPMS_ATTEST, q.quoted);
    const info = quoteInfo(attest);
    if (!info) throw new Answer(PtsError.UNABLE_CUR_EVID, 'the TPM returned no quote info');
    const fw = new Uint8Array(8);
    new DataView(fw.buffer).setBigUint64(0, attest.firmwareVersion);
    let signature: Uint8Array;
    let sigHash: number;
    if (q.signature.sigAlg === TPM_ALG.ECDSA) {
      const s = q.signature.signature as TPMS_SIGNATURE_ECC;
      const size =
        aik.public.type === TPM_ALG.ECC
          ? (CURVE.get((aik.public.parameters as { curveID: number }).curveID)?.size ?? 32)
          : 32;
      const pad = (b: Uint8Array) => {
        const o = new Uint8Array(size);
        o.set(b, size - b.byteLength);
        return o;
      };
      signature = concat(pad(s.signatureR), pad(s.signatureS));
      sigHash = s.hash;
    } else {
      const s = q.signature.signature as TPMS_SIGNATURE_RSA;
      signature = s.sig;
      sigHash = s.hash;
    }
    const sigHashName = hashOfTpmAlg(sigHash);
    out.push({
      kind: 'tcg/pts-simple-evid-final',
      noskip: false,
      quoteMode: PtsSimpleEvidFinalFlag.EVID_QUOTE_INFO_TPM2,
      compositeHashAlgorithm: (sigHashName && measAlgoOf(sigHashName)) ?? PtsMeasAlgo.SHA256,
      pcrComposite: info.pcrDigest,
      tpm2: {
        qualifiedSigner: attest.qualifiedSigner,
        clockInfo: marshal(TPMS_CLOCK_INFO, attest.clockInfo),
        firmwareVersion: fw,
        pcrSelect: marshal(TPML_PCR_SELECTION, info.pcrSelect),
      },
      quoteSignature: signature,
    } as PaAttribute);
    return out;
  }
}
