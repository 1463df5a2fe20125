/**
 * SWIMA verifier core (IMV side): a pure function of a Software Inventory and an injected package policy. It flags
 * every unknown, blacklisted and security-outdated package, each reason naming the package and version. Blacklisted
 * software means no access; unknown or outdated software, isolation (remediation by updating).
 */
import { ActionRecommendation } from '../tnc/pb/constants.ts';
import type { ActionRecommendationValue } from '../tnc/pb/constants.ts';
import { EvaluationResult } from '../tnc/pa/constants.ts';
import type { SwimaRecord } from './attrs/record.ts';
import { parseSwidIdentity } from './swid.ts';

export interface PackagePolicy {
  /** Is a package of this name known to the reference database? */
  isKnown(name: string): boolean | Promise<boolean>;
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
  let blocked = false;
  const max = opts.maxRecords ?? 200_000;
  if (records.length > max) reasons.push(`more than ${max} software records: inventory cut off`);
  for (const r of records.slice(0, max)) {
    const id = r.record ? parseSwidIdentity(new TextDecoder().decode(r.record)) : undefined;
    if (!id) {
      reasons.push(`software ${r.swId}: no SWID tag with name and version`);
      continue;
    }
    const what = `package ${id.name} ${id.version}`;
    if (!(await policy.isKnown(id.name))) reasons.push(`${what}: unknown`);
    else if (await policy.isBlacklisted(id.name, id.version)) {
      reasons.push(`${what}: blacklisted`);
      blocked = true;
    } else {
      const fix = await policy.securityFix(id.name, id.version);
      if (fix !== undefined) reasons.push(`${what}: security update to ${fix} missing`);
    }
  }
  const ok = reasons.length === 0;
  return {
    recommendation: ok
      ? ActionRecommendation.ALLOW
      : blocked
        ? ActionRecommendation.NO_ACCESS
        : ActionRecommendation.ISOLATE,
    evaluation: ok
      ? EvaluationResult.COMPLIANT
      : blocked
        ? EvaluationResult.NONCOMPLIANT_MAJOR
        : EvaluationResult.NONCOMPLIANT_MINOR,
    reasons,
  };
}
