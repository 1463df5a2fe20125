/**
 * The OS verifier (PA subtype IETF Operating System), behaving like strongSwan's imv-os where cheap: at each
 * handshake it sends an IETF Attribute Request for what its policy needs (Product Information, String and Numeric
 * Version, Forwarding Enabled, Factory Default Password Enabled, and Installed Packages / Port Filter when the policy
 * checks them); once the answer is in, it evaluates the policy and reports every violation as a reason:
 *
 * - product not in allowedProducts                       → no access, non-compliant major
 * - forbidden package (name, optionally version)         → isolate, non-compliant major
 * - forwarding enabled / default password enabled / open port not allowed / requested attribute missing
 *                                                        → isolate, non-compliant minor
 * - nothing wrong                                        → allow, compliant
 *
 * Evaluation is a pure function of the reported attributes and the policy (`evaluateOs`).
 */
import { ConfigError } from '../../common/index.ts';
import {
  ForwardingStatus,
  IetfAttr,
  IetfAttrName,
  IetfPaSubtype,
  Pen,
  ietfFactoryDefaultPasswordEnabled,
  ietfForwardingEnabled,
  ietfInstalledPackages,
  ietfNumericVersion,
  ietfPortFilter,
  ietfProductInformation,
  ietfStringVersion,
  isAttr,
} from '../../tnc/pa/index.ts';
import type { IetfAttributeRequest, PaAttribute } from '../../tnc/pa/index.ts';
import { ActionRecommendation, AssessmentResult } from '../../tnc/pb/index.ts';
import type { ImvConnection, ImvModule, ImvReply, ImvVerdict, IncomingPa } from '../../tnc/imc-imv/index.ts';
import { configOsPolicy, parseOsPolicy, regexOf } from './policy.ts';
import type { OsPolicy, OsPolicySource } from './policy.ts';

export * from './policy.ts';

const IETF_OS = { vendor: Pen.IETF, subtype: IetfPaSubtype.OPERATING_SYSTEM } as const;

/** What an OS collector reported in one handshake. */
export interface OsReport {
  product?: string;
  version?: string;
  packages?: { name: string; version: string }[];
  forwarding?: number;
  defaultPassword?: boolean;
  ports?: { blocked: boolean; protocol: number; port: number }[];
}

/** The attribute types `policy` needs. */
export function requestedTypes(policy: OsPolicy): number[] {
  const t: number[] = [IetfAttr.PRODUCT_INFORMATION, IetfAttr.STRING_VERSION, IetfAttr.NUMERIC_VERSION];
  if (policy.forwardingOff !== false) t.push(IetfAttr.FORWARDING_ENABLED);
  if (policy.defaultPasswordOff !== false) t.push(IetfAttr.FACTORY_DEFAULT_PASSWORD_ENABLED);
  if (policy.forbiddenPackages?.length) t.push(IetfAttr.INSTALLED_PACKAGES);
  if (policy.allowedTcpPorts || policy.allowedUdpPorts) t.push(IetfAttr.PORT_FILTER);
  return t;
}

/** Adds the attributes of one message to a report. */
export function addToReport(report: OsReport, attributes: readonly PaAttribute[]): number[] {
  const seen: number[] = [];
  for (const a of attributes) {
    if (isAttr(ietfProductInformation, a)) {
      report.product = a.productName;
      seen.push(IetfAttr.PRODUCT_INFORMATION);
    } else if (isAttr(ietfStringVersion, a)) {
      report.version = a.version;
      seen.push(IetfAttr.STRING_VERSION);
    } else if (isAttr(ietfNumericVersion, a)) {
      seen.push(IetfAttr.NUMERIC_VERSION);
    } else if (isAttr(ietfInstalledPackages, a)) {
      report.packages = [...(report.packages ?? []), ...a.packages];
      seen.push(IetfAttr.INSTALLED_PACKAGES);
    } else if (isAttr(ietfForwardingEnabled, a)) {
      report.forwarding = a.status;
      seen.push(IetfAttr.FORWARDING_ENABLED);
    } else if (isAttr(ietfFactoryDefaultPasswordEnabled, a)) {
      report.defaultPassword = a.enabled;
      seen.push(IetfAttr.FACTORY_DEFAULT_PASSWORD_ENABLED);
    } else if (isAttr(ietfPortFilter, a)) {
      report.ports = [...(report.ports ?? []), ...a.entries];
      seen.push(IetfAttr.PORT_FILTER);
    }
  }
  return seen;
}

const nameOfType = (t: number): string => (IetfAttrName as ReadonlyMap<number, string>).get(t) ?? String(t);

const productMatches = (allowed: string[], product: string) =>
  allowed.some((p) => (p.startsWith('/') ? regexOf(p).test(product) : p === product));

/** Evaluates a report against a policy; every violation becomes a reason. */
export function evaluateOs(policy: OsPolicy, report: OsReport, missing: readonly number[] = []): ImvVerdict {
  const major: string[] = [];
  const isolate: string[] = [];
  const minor: string[] = [];
  for (const t of missing) minor.push(`OS IMV: ${nameOfType(t)} not reported`);
  if (policy.allowedProducts && report.product !== undefined && !productMatches(policy.allowedProducts, report.product))
    major.push(`OS IMV: product '${report.product}' is not allowed`);
  for (const f of policy.forbiddenPackages ?? []) {
    for (const p of report.packages ?? []) {
      if (p.name === f.name && (!f.versions || f.versions.includes(p.version)))
        isolate.push(`OS IMV: forbidden package ${p.name} ${p.version} installed`);
    }
  }
  if (policy.forwardingOff !== false && report.forwarding === ForwardingStatus.ENABLED)
    minor.push('OS IMV: IP forwarding is enabled');
  if (policy.forwardingOff !== false && report.forwarding === ForwardingStatus.UNKNOWN)
    minor.push('OS IMV: IP forwarding status is unknown');
  if (policy.defaultPasswordOff !== false && report.defaultPassword === true)
    minor.push('OS IMV: the factory default password is enabled');
  for (const p of report.ports ?? []) {
    if (p.blocked) continue;
    const allowed = p.protocol === 6 ? policy.allowedTcpPorts : p.protocol === 17 ? policy.allowedUdpPorts : undefined;
    if (allowed && !allowed.includes(p.port))
      minor.push(`OS IMV: ${p.protocol === 6 ? 'TCP' : 'UDP'} port ${p.port} is open`);
  }
  const reasons = [...major, ...isolate, ...minor];
  if (major.length)
    return { recommendation: ActionRecommendation.NO_ACCESS, evaluation: AssessmentResult.NONCOMPLIANT_MAJOR, reasons };
  if (isolate.length)
    return { recommendation: ActionRecommendation.ISOLATE, evaluation: AssessmentResult.NONCOMPLIANT_MAJOR, reasons };
  if (minor.length)
    return { recommendation: ActionRecommendation.ISOLATE, evaluation: AssessmentResult.NONCOMPLIANT_MINOR, reasons };
  return { recommendation: ActionRecommendation.ALLOW, evaluation: AssessmentResult.COMPLIANT, reasons: [] };
}

export function createOsImv(source: OsPolicySource): ImvModule {
  return {
    name: 'os',
    subscriptions: [IETF_OS],
    connect(ctx): ImvConnection {
      let policy: OsPolicy = {};
      let wanted = new Set<number>();
      let report: OsReport = {};
      let heard = false;
      return {
        beginHandshake() {
          policy = source.policyFor(ctx);
          const types = requestedTypes(policy);
          wanted = new Set(types);
          report = {};
          heard = false;
          const req: IetfAttributeRequest = {
            kind: 'ietf/attribute-request',
            noskip: false,
            requests: types.map((type) => ({ vendor: Pen.IETF, type })),
          };
          return [{ ...IETF_OS, attributes: [req] }];
        },
        receive(msg: IncomingPa): ImvReply {
          heard = true;
          for (const t of addToReport(report, msg.attributes)) wanted.delete(t);
          // strongSwan's collector answers the request in one message: judge it now, naming what is missing.
          return { reply: [], verdict: evaluateOs(policy, report, [...wanted]) };
        },
        solicitRecommendation() {
          if (!heard)
            return {
              recommendation: ActionRecommendation.NO_RECOMMENDATION,
              evaluation: AssessmentResult.DONT_KNOW,
              reasons: ['OS IMV: no OS information received'],
            };
          return evaluateOs(policy, report, [...wanted]);
        },
      };
    },
  };
}

/** Module entry point (built-in name `os`): the configuration is the OS policy. */
export function createImv(raw: Record<string, unknown>): ImvModule {
  const policy = raw.policy ?? raw;
  if (typeof policy !== 'object' || policy === null) throw new ConfigError('imv os: policy must be an object');
  return createOsImv(configOsPolicy(parseOsPolicy(policy as Record<string, unknown>)));
}
