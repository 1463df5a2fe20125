/**
 * SWIMA verifier core (IMV side): a pure function of a Software Inventory and an injected package policy. It flags
 * every blacklisted, unknown and security-outdated package, each reason naming the package and version.
 *
 * - blacklisted software                                  → isolate, non-compliant major (the device is isolated)
 * - unknown software, a missing security fix, an unknown version (if the policy checks versions), a record
 *   without a SWID tag                                    → isolate, non-compliant minor (remediation by updating)
 * - nothing wrong                                         → allow, compliant
 *
 * The blacklist is consulted first: a blacklisted package is reported as such even when the policy does not list
 * it among the known packages (a known-good list rarely names what it forbids).
 */
import { ActionRecommendation } from '../tnc/pb/constants.ts';
import type { ActionRecommendationValue } from '../tnc/pb/constants.ts';
import { EvaluationResult } from '../tnc/pa/constants.ts';
import type { SwimaRecord } from './attrs/record.ts';
import { parseSwidIdentity } from './swid.ts';

export interface PackagePolicy {
  /** Optional: called once with every package name of an inventory before the per-package questions (batching). */
  prefetch?(names: readonly string[]): void | Promise<void>;
  /** Is a package of this name known to the reference database? */
  isKnown(name: string): boolean | Promise<boolean>;
  /** Optional: is this version of a known package known? (absent: every version of a known package is) */
  isKnownVersion?(name: string, version: string): boolean | Promise<boolean>;
  isBlacklisted(name: string, version: string): boolean | Promise<boolean>;
  /** The version that fixes a security problem of `version`, or undefined when `version` is not security-outdated. */
  securityFix(name: string, version: string): string | undefined | Promise<string | undefined>;
}

export interface SwimaVerdict {
  recommendation: ActionRecommendationValue;
  evaluation: number;
  reasons: string[];
}

export async function evaluateSwimaInventory(
  records: readonly SwimaRecord[],
  policy: PackagePolicy,
  opts: { maxRecords?: number } = {},
): Promise<SwimaVerdict> {
  const reasons: string[] = [];
  let blacklisted = false;
  const max = opts.maxRecords ?? 200_000;
  if (records.length > max) reasons.push(`more than ${max} software records: inventory cut off`);
  const td = new TextDecoder();
  const judged = records
    .slice(0, max)
    .map((r) => ({ r, id: r.record ? parseSwidIdentity(td.decode(r.record)) : undefined }));
  if (policy.prefetch) await policy.prefetch([...new Set(judged.flatMap(({ id }) => (id ? [id.name] : [])))]);
  for (const { r, id } of judged) {
    if (!id) {
      reasons.push(`software ${r.swId}: no SWID tag with name and version`);
      continue;
    }
    const what = `package ${id.name} ${id.version}`;
    if (await policy.isBlacklisted(id.name, id.version)) {
      reasons.push(`${what}: blacklisted`);
      blacklisted = true;
    } else if (!(await policy.isKnown(id.name))) reasons.push(`${what}: unknown`);
    else {
      const fix = await policy.securityFix(id.name, id.version);
      if (fix !== undefined) reasons.push(`${what}: security update to ${fix} missing`);
      else if (policy.isKnownVersion && !(await policy.isKnownVersion(id.name, id.version)))
        reasons.push(`${what}: unknown version`);
    }
  }
  if (reasons.length === 0)
    return { recommendation: ActionRecommendation.ALLOW, evaluation: EvaluationResult.COMPLIANT, reasons };
  return {
    recommendation: ActionRecommendation.ISOLATE,
    evaluation: blacklisted ? EvaluationResult.NONCOMPLIANT_MAJOR : EvaluationResult.NONCOMPLIANT_MINOR,
    reasons,
  };
}
