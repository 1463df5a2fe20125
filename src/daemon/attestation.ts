/**
 * Attestation inside IKE_AUTH, as the daemon wires it: the EAP provider (EAP-MD5, EAP-TTLS with PT-EAP carrying
 * PB-TNC in mutual mode), the collectors and verifiers of each connection, and the authorization of an IKE SA
 * from its own verifiers' verdict (allow → CHILD_SA; isolate → CHILD_SA limited to the quarantine selectors;
 * no access → AUTHENTICATION_FAILED).
 *
 * Configured in the `attestd { }` section of swanctl.conf, which swanctl ignores:
 *
 *   attestd {
 *     eap {
 *       cert = moon.pem            # our TLS certificate for EAP-TTLS, from x509/ (its key from private/ etc.)
 *       tls_max = 1.2              # 1.2 (strongSwan's default for EAP) or 1.3
 *       phase2 = pt-eap            # what our TTLS server runs inside: pt-eap | md5 | none
 *       fragment_size = 1024
 *       max_message_count = 0      # 0 = no cap (attestation needs many round trips)
 *       pt_eap_nak = fail          # when the peer refuses PT-EAP: fail | succeed (no attestation)
 *     }
 *     tnc {
 *       imcs = os, test            # our collectors (the peer assesses us)
 *       imvs = os, test            # our verifiers (we assess the peer)
 *       policy = default           # default | any | all
 *       isolate_ts = 10.3.0.0/24   # remote selectors a peer in quarantine is confined to
 *     }
 *     database = sqlite:/var/lib/attestd/refdb.sqlite   # or postgres://…: references for the verifiers, and
 *                                                      # every verdict stored as a session with its reasons
 *     imc-test { command = allow }  # per-module options: imc-<name> / imv-<name> sections
 *     imc-attest {                  # TPM-backed evidence (TCG PTS): file measurements, IMA, quote
 *       tcti = swtpm:path=/run/swtpm.sock   # or swtpm:host=H,port=P, or device = /dev/tpmrm0 (default)
 *       imaLog = /sys/kernel/security/ima/binary_runtime_measurements
 *       root = /                    # where the logical paths the verifier asks for live (an image's mount point)
 *     }
 *     imv-attest {                  # with a database: its references, trusted devices and measurement policies
 *       product = Debian 12 x86_64                # whose references apply to devices without a product
 *       files = /usr/bin/, /etc/ssh/sshd_config   # measured too (trailing / = directory)
 *       requiredPcrs = 0, 7, 10
 *     }
 *     # without a database: imv-attest { references = golden.sha256  trustedAiks = 4b36c798…  files = … }
 *     imc-swima { dpkgStatus = /var/lib/dpkg/status }   # installed software as SWID tags (RFC 8412)
 *     imv-swima { product = Debian 12 x86_64 }          # blacklisted / outdated / unknown packages → isolate
 *   }
 */
import { ConfigError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { publish } from '../common/diag.ts';
import { createEapProvider, mutualPbTncEndpoint } from '../eap/index.ts';
import type { EapProvider } from '../eap/method.ts';
import type { Authorization } from '../ike/tasks/task.ts';
import type { IkeSa } from '../ike/sa/ike-sa.ts';
import { idToString } from '../ike/message/access.ts';
import { MaxBatchSize, Recommendation } from '../tnc/pb/index.ts';
import { createTncSide, loadImc, loadImv, parseRecommendationPolicy } from '../tnc/imc-imv/index.ts';
import type { ImcModule, ImvModule, TncSide } from '../tnc/imc-imv/index.ts';
import { createImc as createAttestImc } from '../imc/attest/index.ts';
import { createImc as createOsImc } from '../imc/os/index.ts';
import { createImc as createTestImc } from '../imc/test/index.ts';
import { createImc as createSwimaImc } from '../imc/swima/index.ts';
import { createImv as createSwimaImvFromConfig, createSwimaImv, swimaImvOptions } from '../imv/swima/index.ts';
import { attestImvConfig, createAttestImv, createImv as createAttestImvFromConfig } from '../imv/attest/index.ts';
import { openStore } from '../refdb/open.ts';
import type { RefStore } from '../refdb/store.ts';
import { RefdbPackagePolicy, RefdbPtsReferences } from '../refdb/verifier-references.ts';
import { recordSide, refdbAttestPolicy } from '../refdb/assessments.ts';
import { createImv as createOsImv } from '../imv/os/index.ts';
import { createImv as createTestImv } from '../imv/test/index.ts';
import type { Credentials } from './config/credentials.ts';
import { getValue, parseList, type SettingsSection } from './config/index.ts';

/** Collectors and verifiers that ship with attestd; other names are module paths exporting createImc/createImv. */
export const builtinImcs = {
  os: createOsImc,
  test: createTestImc,
  attest: createAttestImc,
  swima: createSwimaImc,
} as const;
export const builtinImvs = {
  os: createOsImv,
  test: createTestImv,
  attest: createAttestImvFromConfig,
  swima: createSwimaImvFromConfig,
} as const;

const optString = (raw: Record<string, unknown>, k: string): string | undefined => {
  const v = raw[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${k} must be a string`);
  return String(v);
};

/**
 * The built-in verifiers, with the reference database injected where one is configured: `attest` without a
 * `references` manifest then reads file/IMA hashes, boot references and trusted AIKs from it and, with a `product`,
 * applies the product's file/dir measurement policies through the policy engine; `swima` without a
 * `packages` file judges the inventory by the package versions of its `product`.
 */
export function imvBuiltinsFor(store: RefStore | undefined): typeof builtinImvs {
  if (!store) return builtinImvs;
  return {
    ...builtinImvs,
    attest: (raw) => {
      if (raw.references !== undefined) return createAttestImvFromConfig(raw);
      const product = optString(raw, 'product');
      const config = attestImvConfig(raw, new RefdbPtsReferences(store, product ? { product } : {}));
      // What to measure and how a failing file counts: the configured files plus the measurement policies
      // enforced for the product, judged by the policy engine (rec_fail, rec_noresult, max_age; results stored).
      return createAttestImv(product ? { ...config, policy: refdbAttestPolicy(store, { product }) } : config);
    },
    swima: (raw) => {
      if (raw.packages !== undefined) return createSwimaImvFromConfig(raw);
      const product = optString(raw, 'product');
      if (!product) throw new ConfigError('imv swima: product (whose package versions apply) or packages is required');
      return createSwimaImv({ policy: new RefdbPackagePolicy(store, product), ...swimaImvOptions(raw, ['product']) });
    },
  };
}

export interface AttestationConfig {
  eap: {
    cert?: string;
    tlsMax: 'TLSv1.2' | 'TLSv1.3';
    phase2: 'pt-eap' | 'md5' | 'none';
    fragmentSize: number;
    maxMessageCount: number;
    onNak: 'fail' | 'succeed';
  };
  tnc: { imcs: string[]; imvs: string[]; policy: string; isolateTs: string[] };
  /** Reference database URI (sqlite:PATH or postgres://…): references for the verifiers, verdicts stored. */
  database?: string;
  modules: Record<string, Record<string, unknown>>;
}

/** A settings value as a module option: integers as numbers, yes/no/true/false as booleans (strongSwan style). */
function optionValue(v: string): unknown {
  // Short integers only: a 40-digit hex key id made of digits must stay a string.
  if (/^\d{1,15}$/.test(v)) return Number(v);
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  return v;
}

/** Values of a settings section as a plain object (for per-module options). */
function plain(section: SettingsSection | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!section) return out;
  for (const [k, v] of section.values) out[k] = optionValue(v);
  for (const [k, s] of section.sections) out[k] = plain(s);
  return out;
}

/** `attestd.<path>` of the `attestd { }` section `root`, if set, checked to be one of `allowed`. */
export function attestdChoice<T extends string>(
  root: SettingsSection | undefined,
  path: string,
  allowed: readonly T[],
): T | undefined {
  const s = root ? getValue(root, path) : undefined;
  if (s !== undefined && !(allowed as readonly string[]).includes(s))
    throw new ConfigError(`attestd.${path}: '${s}' is not one of ${allowed.join(', ')}`);
  return s as T | undefined;
}

export function parseAttestation(root: SettingsSection | undefined): AttestationConfig {
  const v = (path: string) => (root ? getValue(root, path) : undefined);
  const num = (path: string, def: number) => {
    const s = v(path);
    if (s === undefined) return def;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`attestd.${path}: '${s}' is not a non-negative integer`);
    return n;
  };
  const oneOf = <T extends string>(path: string, allowed: readonly T[], def: T): T =>
    attestdChoice(root, path, allowed) ?? def;
  const tlsMax = oneOf('eap.tls_max', ['1.2', '1.3'] as const, '1.2');
  const modules: Record<string, Record<string, unknown>> = {};
  for (const [name, s] of root?.sections ?? []) if (/^im[cv]-/.test(name)) modules[name] = plain(s);
  const cert = v('eap.cert');
  const database = v('database');
  return {
    ...(database ? { database } : {}),
    eap: {
      ...(cert ? { cert } : {}),
      tlsMax: tlsMax === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
      phase2: oneOf('eap.phase2', ['pt-eap', 'md5', 'none'] as const, 'pt-eap'),
      fragmentSize: num('eap.fragment_size', 1024),
      maxMessageCount: num('eap.max_message_count', 0),
      onNak: oneOf('eap.pt_eap_nak', ['fail', 'succeed'] as const, 'fail'),
    },
    tnc: {
      imcs: parseList(v('tnc.imcs') ?? ''),
      imvs: parseList(v('tnc.imvs') ?? ''),
      policy: v('tnc.policy') ?? 'default',
      isolateTs: parseList(v('tnc.isolate_ts') ?? ''),
    },
    modules,
  };
}

export class Attestation {
  readonly config: AttestationConfig;
  readonly #creds: Credentials;
  readonly #log: Logger;
  #imcs: ImcModule[] = [];
  #imvs: ImvModule[] = [];
  #store: RefStore | undefined;
  /** The TNC side of each IKE SA's PT-EAP exchange, by IKE SA label. */
  readonly #sides = new Map<string, TncSide>();

  constructor(config: AttestationConfig, creds: Credentials, log: Logger) {
    this.config = config;
    this.#creds = creds;
    this.#log = log;
  }

  static fromSettings(attestd: SettingsSection | undefined, creds: Credentials, log: Logger): Attestation {
    return new Attestation(parseAttestation(attestd), creds, log);
  }

  async load(): Promise<void> {
    const { tnc, modules, database } = this.config;
    try {
      if (database && tnc.imvs.length) this.#store = await openStore(database);
      this.#imcs = await Promise.all(
        tnc.imcs.map((name) => loadImc({ name, config: modules[`imc-${name}`] ?? {} }, builtinImcs)),
      );
      const imvs = imvBuiltinsFor(this.#store);
      this.#imvs = await Promise.all(
        tnc.imvs.map((name) => loadImv({ name, config: modules[`imv-${name}`] ?? {} }, imvs)),
      );
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Releases the reference database and the collectors' TPMs. */
  async close(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    await store?.close().catch(() => undefined);
    for (const m of this.#imcs) {
      const c = (m as { close?: () => Promise<void> }).close;
      if (c) await c.call(m).catch(() => undefined);
    }
  }

  /** The reference database, when `attestd.database` is configured and we verify peers. */
  get store(): RefStore | undefined {
    return this.#store;
  }

  get attesting(): boolean {
    return this.#imcs.length > 0 || this.#imvs.length > 0;
  }

  /** The EAP methods IKE uses, with PT-EAP endpoints bound to this daemon's collectors and verifiers. */
  provider(md5Secret: (id: string) => Uint8Array | undefined): EapProvider {
    const { eap } = this.config;
    const ca = [...this.#creds.cas.values()].map((c) => c.toString('pem'));
    let tls: { cert?: string; key?: string; ca?: string[] } = ca.length ? { ca } : {};
    if (eap.cert) {
      const cert = this.#creds.cert(eap.cert);
      const key = this.#creds.findKeyFor(cert);
      if (!key) throw new ConfigError(`attestd.eap.cert: no private key for ${eap.cert}`);
      tls = { ...tls, cert: cert.toString('pem'), key: key.key.export({ type: 'pkcs8', format: 'pem' }).toString() };
    }
    const policy = parseRecommendationPolicy(this.config.tnc.policy);
    return createEapProvider({
      md5Secret,
      tls,
      ttls: {
        inner: eap.phase2,
        tlsVersions: { min: 'TLSv1.2', max: eap.tlsMax },
        fragmentSize: eap.fragmentSize,
        maxMessageCount: eap.maxMessageCount,
        onPtEapNak: eap.onNak,
      },
      ptEap: {
        endpointFactory: (role, ctx) => {
          const side = createTncSide({
            transport: role === 'peer' ? 'client' : 'server',
            ...(this.#imcs.length ? { imcs: this.#imcs } : {}),
            ...(this.#imvs.length ? { imvs: this.#imvs } : {}),
            policy,
            maxBatchSize: MaxBatchSize.PT_EAP,
            context: {
              id: ctx.label,
              // The other side: the EAP peer's claimed IKE identity at the server, the server's at the peer.
              peer: {
                method: 'eap',
                identity: (role === 'server' ? ctx.peerIdentity : ctx.serverIdentity) ?? '',
              },
              transport: 'pt-eap',
              log: this.#log,
            },
          });
          this.#sides.set(ctx.label, side);
          return mutualPbTncEndpoint(side.pb);
        },
      },
      log: this.#log,
    });
  }

  /** IKE's authorization hook: our verifiers' verdict on the peer of `sa`, if we assessed it. */
  async authorize(sa: IkeSa): Promise<Authorization> {
    const side = this.#sides.get(sa.label);
    this.#sides.delete(sa.label);
    if (!side || !this.#imvs.length) return { decision: 'allow', reasons: [] };
    const out = side.outcome();
    const reasons = out.verdict?.reasons?.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))) ?? [];
    const rec = out.decision?.recommendation;
    let decision: Authorization['decision'];
    if (rec === Recommendation.ACCESS_ALLOWED) decision = 'allow';
    else if (rec === Recommendation.QUARANTINED) decision = 'isolate';
    else {
      decision = 'deny';
      if (!out.decision) reasons.push('the peer was not assessed (no PB-TNC result)');
    }
    const label = decision === 'allow' ? 'allow' : decision === 'isolate' ? 'isolate' : 'no access';
    // The peer's authenticated IKE identity; a peer refused inside EAP has none yet: the identity it claimed.
    const id = sa.peerAuth.length ? sa.peerAuth[sa.peerAuth.length - 1]!.id : sa.peerId;
    const peerId = id ? idToString(id) : sa.remote.address;
    publish('attest:verdict', {
      connection: sa.conn.name,
      ike: sa.label,
      peerId,
      remote: `${sa.remote.address}:${sa.remote.port}`,
      decision: label,
      reasons,
    });
    sa.notes.push(`attestation of the peer: ${label}${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
    if (this.#store) {
      // The audit trail: stored before the decision is enforced; a database failure is logged, never fatal.
      try {
        const id = await recordSide(this.#store, side, { identity: peerId });
        sa.notes.push(`stored as assessment session ${id}`);
      } catch (e) {
        this.#log.error(
          'TNC',
          `cannot store the verdict on ${sa.label}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    if (decision === 'isolate') {
      if (!this.config.tnc.isolateTs.length)
        return { decision: 'deny', reasons: [...reasons, 'isolate, but no isolate_ts configured'] };
      return { decision, reasons, isolateTs: this.config.tnc.isolateTs };
    }
    return { decision, reasons };
  }
}
