/**
 * The attestation verifier (PA subtype TCG/PTS, vendor 0x005597 subtype 1), strongSwan's imv-attestation in our
 * terms: per connection it runs the PTS verifier (src/pts/verify) — capabilities, file measurements, D-H nonce, AIK,
 * firmware and IMA evidence under a fresh TPM quote — and turns its verdict into the IMV's recommendation.
 *
 * Configuration (daemon `imv-attest` section, PT-TLS server module config):
 *   (database)    with `attestd.database` set and no `references`, the reference database answers (the daemon
 *                 injects it): file and IMA hashes of the device's product (or `product`), trusted devices' AIKs
 *   product       product name whose reference values apply to devices the database has no product for; the
 *                 file and directory measurement policies enforced on its groups add to `files`
 *   references    reference manifest file (src/measure/manifest.ts, text or JSON form): path → digest, used for the
 *                 measured files and the IMA-measured ones (paths as the device reports them)
 *   trustedAiks   hex key ids (SHA-1 of the AIK's SubjectPublicKeyInfo), a list or a comma/space-separated string
 *   files         paths to measure; a path ending in "/" is a directory (its regular files, not recursive)
 *   requiredPcrs  PCRs the quote must cover (optional)
 *   maxFiles, maxEvents   limits
 *
 * A client that sends no evidence before the decision gets "no access": attestation is required where configured.
 * No TPM or measurement I/O here (the verifier is a pure function of the evidence and these references).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, fromHex, silentLogger } from '../../common/index.ts';
import type { Logger } from '../../common/index.ts';
import { parseManifest } from '../../measure/manifest.ts';
import type { Manifest } from '../../measure/manifest.ts';
import type { HashName } from '../../measure/hash.ts';
import { PaSubtype } from '../../tnc/pa/index.ts';
import { ActionRecommendation, AssessmentResult } from '../../tnc/pb/index.ts';
import type { AssessmentResultValue } from '../../tnc/pb/index.ts';
import type { ImvConnection, ImvModule, ImvReply, ImvVerdict, IncomingPa } from '../../tnc/imc-imv/index.ts';
import { PtsVerifier, ptsAttributeCodecs } from '../../pts/index.ts';
import type { PtsReferences, PtsVerdict, PtsVerifierLimits } from '../../pts/index.ts';

export const TCG_PTS = PaSubtype.TCG_PTS;

export interface AttestImvConfig {
  references: PtsReferences;
  files: { path: string; directory?: boolean }[];
  /** More files and directories to measure, looked up per handshake (the reference database's policies). */
  targets?: () => Promise<readonly { path: string; directory?: boolean }[]>;
  requiredPcrs: number[];
  limits: PtsVerifierLimits;
}

/** PTS references from a manifest and a list of trusted AIK key ids. */
export class ManifestReferences implements PtsReferences {
  readonly #manifest: Manifest;
  readonly #aiks: ReadonlySet<string>;

  constructor(manifest: Manifest, trustedAiks: readonly string[]) {
    this.#manifest = manifest;
    this.#aiks = new Set(trustedAiks.map((k) => k.toLowerCase()));
  }

  fileHashes(paths: readonly string[], algo: HashName): ReadonlyMap<string, readonly Uint8Array[]> {
    const out = new Map<string, readonly Uint8Array[]>();
    for (const p of paths) {
      const hex = this.#manifest.files.get(p)?.[algo];
      if (hex !== undefined) out.set(p, [fromHex(hex)]);
    }
    return out;
  }
  isTrustedAik(keyId: Uint8Array): boolean {
    return this.#aiks.has(Buffer.from(keyId).toString('hex'));
  }
  imaReference(paths: readonly string[], algo: HashName): ReadonlyMap<string, readonly Uint8Array[]> {
    return this.fileHashes(paths, algo);
  }
}

const list = (raw: Record<string, unknown>, k: string): string[] => {
  const v = raw[k];
  if (v === undefined) return [];
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  if (typeof v === 'number') return [String(v)]; // a single number from a settings file
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new ConfigError(`imv attest: ${k} must be a list of strings`);
};

/**
 * Validates the module configuration. The references are `injected` (the daemon passes the reference database's)
 * or read from the `references` manifest with the `trustedAiks` list.
 */
export function attestImvConfig(raw: Record<string, unknown>, injected?: PtsReferences): AttestImvConfig {
  const aiks = list(raw, 'trustedAiks');
  for (const k of aiks)
    if (!/^[0-9a-f]{40}$/i.test(k)) throw new ConfigError(`imv attest: trusted AIK "${k}" is not a SHA-1 key id`);
  let references = injected;
  if (!references) {
    const refPath = raw.references;
    if (typeof refPath !== 'string' || refPath === '')
      throw new ConfigError('imv attest: references (a manifest file) or a reference database is required');
    let manifest: Manifest;
    try {
      manifest = parseManifest(readFileSync(refPath, 'utf8'));
    } catch (e) {
      throw new ConfigError(`imv attest: cannot read references ${refPath}: ${(e as Error).message}`, { cause: e });
    }
    references = new ManifestReferences(manifest, aiks);
  }
  const requiredPcrs = list(raw, 'requiredPcrs').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 23) throw new ConfigError(`imv attest: bad PCR "${s}"`);
    return n;
  });
  const limits: PtsVerifierLimits = {};
  for (const k of ['maxFiles', 'maxEvents'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`imv attest: ${k} must be a positive integer`);
    limits[k] = n;
  }
  return {
    references,
    files: list(raw, 'files').map((p) =>
      p.length > 1 && p.endsWith('/') ? { path: p.slice(0, -1), directory: true } : { path: p },
    ),
    requiredPcrs,
    limits,
  };
}

/** Files and directories once each (configured ones first). */
function dedupe(list: readonly { path: string; directory?: boolean }[]): { path: string; directory?: boolean }[] {
  const seen = new Set<string>();
  return list.filter((f) => {
    const k = `${f.directory ? 'd' : 'f'}:${f.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const verdictOf = (v: PtsVerdict): ImvVerdict => ({
  recommendation: v.recommendation,
  evaluation: v.evaluation as AssessmentResultValue,
  reasons: v.reasons,
  ...(v.aikKeyId ? { device: v.aikKeyId } : {}),
});

/** The verifier module over validated configuration (tests inject references directly). */
export function createAttestImv(config: AttestImvConfig, log: Logger = silentLogger): ImvModule {
  return {
    name: 'attest',
    subscriptions: [TCG_PTS],
    attributeCodecs: ptsAttributeCodecs,
    connect(ctx): ImvConnection {
      let verifier: PtsVerifier | undefined;
      const fresh = (extra: readonly { path: string; directory?: boolean }[] = []) =>
        new PtsVerifier({
          references: config.references,
          files: dedupe([...config.files, ...extra]),
          requiredPcrs: config.requiredPcrs,
          limits: config.limits,
          log: ctx.log ?? log,
          device: ctx.id,
        });
      return {
        async beginHandshake() {
          verifier = fresh(config.targets ? await config.targets() : []);
          return [{ ...TCG_PTS, attributes: verifier.start() }];
        },
        async receive(msg: IncomingPa): Promise<ImvReply> {
          verifier ??= fresh();
          if (verifier.verdict) return { reply: [], verdict: verdictOf(verifier.verdict) };
          const step = await verifier.receive(msg.attributes);
          return {
            reply: step.send.length > 0 ? [{ ...TCG_PTS, attributes: step.send, to: msg.sourceId }] : [],
            ...(step.verdict ? { verdict: verdictOf(step.verdict) } : {}),
          };
        },
        solicitRecommendation(): ImvVerdict {
          if (verifier?.verdict) return verdictOf(verifier.verdict);
          return {
            recommendation: ActionRecommendation.NO_ACCESS,
            evaluation: AssessmentResult.DONT_KNOW,
            reasons: ['attestation IMV: no complete attestation evidence received'],
          };
        },
      };
    },
  };
}

/** Module entry point (built-in name `attest`). */
export function createImv(raw: Record<string, unknown>): ImvModule {
  return createAttestImv(attestImvConfig(raw));
}
