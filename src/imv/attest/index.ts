/**
 * The attestation verifier (PA subtype TCG/PTS, vendor 0x005597 subtype 1), strongSwan's imv-attestation in our
 * terms: per connection it runs the PTS verifier (src/pts/verify) — capabilities, file measurements, D-H nonce, AIK,
 * firmware and IMA evidence under a fresh TPM quote — and turns its verdict into the IMV's recommendation.
 *
 * Configuration (daemon `imv-attest` section, PT-TLS server module config):
 *   (database)    with `attestd.database` set and no `references`, the reference database answers (the daemon
 *                 injects it): file and IMA hashes of the device's product (or `product`), trusted devices' AIKs
 *   product       product name whose reference values apply to devices the database has no product for; the
 *                 file and directory measurement policies enforced on its groups add to `files`, and their
 *                 enforcements decide what a failing file means (`policy` hook: rec_fail, rec_noresult, max_age)
 *   references    reference manifest file (src/measure/manifest.ts, text or JSON form): path → digest, used for the
 *                 measured files and the IMA-measured ones (paths as the device reports them)
 *   trustedAiks   hex key ids (SHA-1 of the AIK's SubjectPublicKeyInfo), a list or a comma/space-separated string
 *   files         paths to measure; a path ending in "/" is a directory (its regular files, not recursive)
 *   requiredPcrs  PCRs the quote must cover (optional)
 *   maxFiles, maxEvents   limits
 *   dhGroup       ecp256 (default, as strongSwan) | ecp384 | modp2048: the strongest D-H group offered for the
 *                 quote nonce (the attester picks the strongest it supports of those)
 *   incrementalIma  yes (default): a device's IMA events proved at its last fully verified attestation are not
 *                 judged again while the references stay the same (src/pts/verify/ima-history.ts); no: all, always
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
import { ModuleOptions } from '../../tnc/imc-imv/index.ts';
import type {
  ConnectionContext,
  ImvConnection,
  ImvModule,
  ImvReply,
  ImvVerdict,
  IncomingPa,
} from '../../tnc/imc-imv/index.ts';
import { ImaHistory, PtsVerifier, ptsAttributeCodecs, ptsDhGroupsFor } from '../../pts/index.ts';
import type { PtsReferences, PtsVerdict, PtsVerifierLimits } from '../../pts/index.ts';

export const TCG_PTS = PaSubtype.TCG_PTS;

/** A file or directory the verifier measures. */
export interface AttestTarget {
  path: string;
  directory?: boolean;
}

/**
 * A policy over the verifier (the reference database's policy engine): consulted when a handshake begins, for what
 * to measure beyond `files`, and again with the verifier's verdict, which it turns into the IMV's.
 */
export interface AttestPolicy {
  plan(ctx: ConnectionContext): Promise<AttestHandshakePolicy>;
}

export interface AttestHandshakePolicy {
  targets: readonly AttestTarget[];
  /** The IMV's verdict from the verifier's; `requested`: every file and directory the verifier asked for. */
  judge(verdict: PtsVerdict, requested: readonly AttestTarget[]): Promise<ImvVerdict>;
}

export interface AttestImvConfig {
  references: PtsReferences;
  files: AttestTarget[];
  /**
   * Plans each handshake (more files and directories to measure: the reference database's policies) and judges its
   * verdict (enforcements' rec_fail / rec_noresult / max_age).
   */
  policy?: AttestPolicy;
  requiredPcrs: number[];
  limits: PtsVerifierLimits;
  /**
   * Judge only the IMA events a device added since its last fully verified attestation (default true; needs
   * references that tell their version). False: every event at every attestation.
   */
  incrementalIma?: boolean;
  /** D-H groups offered for the quote nonce (default: strongSwan's `dh_group = ecp256`). */
  dhGroups?: number;
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
  /** A manifest is read once: its references never change under a running verifier. */
  referenceVersion(): string {
    return 'manifest';
  }
  imaReference(paths: readonly string[], algo: HashName): ReadonlyMap<string, readonly Uint8Array[]> {
    return this.fileHashes(paths, algo);
  }
}

/**
 * Validates the module configuration. The references are `injected` (the daemon passes the reference database's)
 * or read from the `references` manifest with the `trustedAiks` list.
 */
export function attestImvConfig(raw: Record<string, unknown>, injected?: PtsReferences): AttestImvConfig {
  const o = new ModuleOptions(raw, 'imv attest');
  const aiks = o.list('trustedAiks');
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
  const requiredPcrs = o.list('requiredPcrs').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 23) throw new ConfigError(`imv attest: bad PCR "${s}"`);
    return n;
  });
  const limits: PtsVerifierLimits = {};
  for (const k of ['maxFiles', 'maxEvents'] as const) {
    const n = o.int(k, 1);
    if (n !== undefined) limits[k] = n;
  }
  return {
    references,
    files: o
      .list('files')
      .map((p) => (p.length > 1 && p.endsWith('/') ? { path: p.slice(0, -1), directory: true } : { path: p })),
    requiredPcrs,
    limits,
    incrementalIma: o.flag('incrementalIma') ?? true,
    ...(raw.dhGroup !== undefined ? { dhGroups: ptsDhGroupsFor(o.string('dhGroup')!) } : {}),
  };
}

/** Files and directories once each (configured ones first). */
function dedupe(list: readonly AttestTarget[]): AttestTarget[] {
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
  // Shared by the module's connections: what each device proved of its IMA list (src/pts/verify/ima-history.ts).
  const imaHistory = config.incrementalIma === false ? undefined : new ImaHistory();
  return {
    name: 'attest',
    subscriptions: [TCG_PTS],
    attributeCodecs: ptsAttributeCodecs,
    connect(ctx): ImvConnection {
      const logger = ctx.log ?? log;
      let verifier: PtsVerifier | undefined;
      let requested: AttestTarget[] = [];
      let handshake: AttestHandshakePolicy | undefined;
      /** The IMV's verdict, judged once per verifier verdict. */
      let judged: Promise<ImvVerdict> | undefined;
      const fresh = (extra: readonly AttestTarget[] = []) => {
        requested = dedupe([...config.files, ...extra]);
        judged = undefined;
        return new PtsVerifier({
          references: config.references,
          files: requested,
          requiredPcrs: config.requiredPcrs,
          limits: config.limits,
          ...(imaHistory ? { imaHistory } : {}),
          ...(config.dhGroups !== undefined ? { dhGroups: config.dhGroups } : {}),
          log: logger,
          device: ctx.id,
        });
      };
      const judge = (v: PtsVerdict): Promise<ImvVerdict> => {
        const policy = handshake;
        judged ??= !policy
          ? Promise.resolve(verdictOf(v))
          : policy.judge(v, requested).catch((e: unknown) => {
              // Without the policies the verdict cannot stand: fail closed.
              const why = e instanceof Error ? e.message : String(e);
              logger.error('IMV', `attest: the policy engine failed on ${ctx.id}: ${why}`);
              return {
                ...verdictOf(v),
                recommendation: ActionRecommendation.NO_ACCESS,
                evaluation: AssessmentResult.ERROR,
                reasons: [...v.reasons, `attestation IMV: the policies could not be applied (${why})`],
              };
            });
        return judged;
      };
      return {
        async beginHandshake() {
          const extra: AttestTarget[] = [];
          handshake = undefined;
          if (config.policy) {
            try {
              handshake = await config.policy.plan(ctx);
              extra.push(...handshake.targets);
            } catch (e) {
              // No plan: measure what is configured; the verdict then fails closed (see `planFailed`).
              const why = e instanceof Error ? e.message : String(e);
              logger.error('IMV', `attest: cannot plan the policies for ${ctx.id}: ${why}`);
              handshake = planFailed(why);
            }
          }
          verifier = fresh(extra);
          return [{ ...TCG_PTS, attributes: verifier.start() }];
        },
        async receive(msg: IncomingPa): Promise<ImvReply> {
          verifier ??= fresh();
          if (verifier.verdict) return { reply: [], verdict: await judge(verifier.verdict) };
          const step = await verifier.receive(msg.attributes);
          return {
            reply: step.send.length > 0 ? [{ ...TCG_PTS, attributes: step.send, to: msg.sourceId }] : [],
            ...(step.verdict ? { verdict: await judge(step.verdict) } : {}),
          };
        },
        async solicitRecommendation(): Promise<ImvVerdict> {
          if (verifier?.verdict) return judge(verifier.verdict);
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

/** A handshake whose policies could not be planned: nothing more is measured and the verdict is no access. */
function planFailed(why: string): AttestHandshakePolicy {
  return {
    targets: [],
    judge: async (v) => ({
      ...verdictOf(v),
      recommendation: ActionRecommendation.NO_ACCESS,
      evaluation: AssessmentResult.ERROR,
      reasons: [...v.reasons, `attestation IMV: the policies could not be planned (${why})`],
    }),
  };
}

/** Module entry point (built-in name `attest`). */
export function createImv(raw: Record<string, unknown>): ImvModule {
  return createAttestImv(attestImvConfig(raw));
}
