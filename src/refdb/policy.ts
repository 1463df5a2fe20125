/**
 * The policy engine, after strongSwan's imv_policy_manager (policy_start/policy_stop) and imv_workitem:
 *
 *   start:  session → device's groups (a device in none joins its product's default group, or `Default`) → walk each
 *           group and its parents → every enforcement becomes a work item, unless the device's newest result for
 *           that policy within max_age was ALLOW. File/dir policies carry the file/dir id in arg_int; SWID policies
 *           with `R` carry the next event id to ask for.
 *   result: an IMV reports (result text, evaluation); COMPLIANT → ALLOW, NONCOMPLIANT_* → rec_fail,
 *           ERROR/DONT_KNOW → rec_noresult.
 *   finish: results with a result are kept as history (they drive the max_age skip next time), work items are
 *           deleted, and the final recommendation is the worst one, with a reason per policy that was not ALLOW.
 *           A work item that never got a result counts as its rec_noresult.
 *
 * No trust on first use: a device the database does not know stays untrusted, unless a group on its path opts in
 * (`groups.tofu`); then its AIK is marked trusted when it first appears, and `mayLearnReferences` lets the verifier
 * record its boot measurements as the device's reference values.
 */
import { publish } from '../common/diag.ts';
import { StateError } from '../common/errors.ts';
import { EvaluationResult } from '../tnc/pa/constants.ts';
import { ActionRecommendation } from '../tnc/pb/constants.ts';
import type { PtsFileFinding, PtsVerdict } from '../pts/verify/evidence.ts';
import { splitPath, type RefStore } from './store.ts';
import { PolicyType, PolicyTypeName, policyTarget, type PolicyTypeValue, type WorkItem } from './types.ts';

export type RecommendationWord = 'allow' | 'isolate' | 'no access' | 'no recommendation';

export function recommendationWord(rec: number): RecommendationWord {
  switch (rec) {
    case ActionRecommendation.ALLOW:
      return 'allow';
    case ActionRecommendation.ISOLATE:
      return 'isolate';
    case ActionRecommendation.NO_ACCESS:
      return 'no access';
    default:
      return 'no recommendation';
  }
}

/** Severity for merging: a missing recommendation fails closed, like NO_ACCESS. */
function severity(rec: number): number {
  switch (rec) {
    case ActionRecommendation.ALLOW:
      return 0;
    case ActionRecommendation.ISOLATE:
      return 1;
    default:
      return 2;
  }
}

export function worstRecommendation(recs: readonly number[]): number {
  let worst: number = ActionRecommendation.ALLOW;
  for (const r of recs) {
    const v = r === ActionRecommendation.NO_RECOMMENDATION ? ActionRecommendation.NO_ACCESS : r;
    if (severity(v) > severity(worst)) worst = v;
  }
  return worst;
}

/** imv_workitem set_result: the evaluation result picks the work item's final recommendation. */
export function recommendationFor(evaluation: number, w: { recFail: number; recNoResult: number }): number {
  switch (evaluation) {
    case EvaluationResult.COMPLIANT:
      return ActionRecommendation.ALLOW;
    case EvaluationResult.NONCOMPLIANT_MINOR:
    case EvaluationResult.NONCOMPLIANT_MAJOR:
      return w.recFail;
    default:
      return w.recNoResult;
  }
}

export interface StartInput {
  /** Product (OS) name as the endpoint reports it. */
  product: string;
  /** Device identity (AIK key id, hex); absent when the endpoint has none. */
  device?: string;
  connection?: number;
  identity?: string;
  /** Seconds since the epoch. */
  now: number;
  /** Which enforcements a recent ALLOW may skip (default: all); e.g. only those a plan did not measure. */
  maySkip?: (enforcement: number) => boolean;
}

export interface StartedSession {
  session: number;
  product: number;
  device: number | null;
  /** Whether the device's AIK is trusted (after trust on first use, if it applied). */
  trusted: boolean;
  /** The device was new and a group on its path allowed trust on first use. */
  firstUse: boolean;
  workItems: WorkItem[];
  /** Enforcements skipped because a recent result was ALLOW. */
  skipped: { enforcement: number; policy: number; since: number }[];
}

const DEFAULT_GROUP = 'Default';

/** Creates the session and its work items in one transaction. */
export async function startSession(store: RefStore, input: StartInput): Promise<StartedSession> {
  return store.transaction(async (s) => {
    const product = await s.addProduct(input.product);
    let device: number | null = null;
    let created: number | null = null;
    if (input.device) {
      device = await s.addDevice({ value: input.device, product });
      created = (await s.device(device))?.created ?? null;
    }
    const session = await s.createSession({
      time: input.now,
      connection: input.connection ?? 0,
      identity: input.identity ?? '',
      device,
      product,
    });

    // The device's groups; a device in none (new, or seen before any group existed) joins its product's default
    // group, or `Default`. Trust on first use only when the device is seen for the first time.
    let groups: number[] = device !== null && created !== null ? await s.deviceGroups(device) : [];
    let firstUse = false;
    if (!groups.length) {
      const g = (await s.productDefaultGroup(product)) ?? (await s.groupByName(DEFAULT_GROUP))?.id;
      groups = g === undefined ? [] : [g];
      if (device !== null) {
        for (const gid of groups) await s.addGroupMember(gid, device);
        if (created === null) {
          await s.setDeviceCreated(device, input.now);
          if (await groupsAllowTofu(s, groups)) {
            await s.setDeviceTrusted(device, true);
            firstUse = true;
          }
        }
      }
    }

    const skipped: StartedSession['skipped'] = [];
    const seenEnforcements = new Set<number>();
    const policies = new Map((await s.listPolicies()).map((p) => [p.id, p]));
    for (const start of groups) {
      for (const gid of await groupChain(s, start)) {
        for (const e of await s.listEnforcements(gid)) {
          if (seenEnforcements.has(e.id)) continue;
          seenEnforcements.add(e.id);
          const p = policies.get(e.policy);
          if (!p) continue;
          if (device !== null && (input.maySkip?.(e.id) ?? true)) {
            const latest = await s.latestResult(p.id, device, input.now - e.maxAge);
            if (latest?.rec === ActionRecommendation.ALLOW) {
              skipped.push({ enforcement: e.id, policy: p.id, since: latest.time });
              continue;
            }
          }
          let argInt = 0;
          const target = policyTarget(p.type);
          if (target === 'file') argInt = p.file ?? 0;
          else if (target === 'dir') argInt = p.dir ?? 0;
          else if (p.type === PolicyType.SWID_TAGS && device !== null && p.argument.includes('R')) {
            argInt = (await s.lastSwidEid(device)) + 1;
          }
          await s.addWorkItem(session, {
            enforcement: e.id,
            type: p.type,
            argStr: p.argument,
            argInt,
            recFail: e.recFail ?? p.recFail,
            recNoResult: e.recNoResult ?? p.recNoResult,
          });
        }
      }
    }
    const trusted = device !== null && (await s.device(device))?.trusted === true;
    return { session, product, device, trusted, firstUse, workItems: await s.workItems(session), skipped };
  });
}

/** A group and its parents, nearest first; stops at a cycle. */
async function groupChain(s: RefStore, start: number): Promise<number[]> {
  const chain: number[] = [];
  let id: number | null = start;
  while (id !== null && !chain.includes(id)) {
    chain.push(id);
    id = (await s.group(id))?.parent ?? null;
  }
  return chain;
}

async function groupsAllowTofu(s: RefStore, groups: readonly number[]): Promise<boolean> {
  for (const g of groups) {
    for (const id of await groupChain(s, g)) if ((await s.group(id))?.tofu) return true;
  }
  return false;
}

/** Whether a device's measurements may become its reference values (only in a trust-on-first-use group). */
export async function mayLearnReferences(store: RefStore, device: number): Promise<boolean> {
  return groupsAllowTofu(store, await store.deviceGroups(device));
}

/** Records an IMV's result for a work item; returns the item's final recommendation. */
export async function recordResult(
  store: RefStore,
  session: number,
  workItem: number,
  result: string,
  evaluation: number,
): Promise<number> {
  return store.transaction(async (s) => {
    const w = (await s.workItems(session)).find((x) => x.id === workItem);
    if (!w) throw new StateError(`work item ${workItem} is not open in session ${session}`);
    const rec = recommendationFor(evaluation, w);
    await s.setWorkItemResult(workItem, result, rec);
    return rec;
  });
}

export interface PolicyOutcome {
  policy: number;
  name: string;
  type: string;
  rec: number;
  result: string | null;
}

export interface Recommendation {
  session: number;
  rec: number;
  recommendation: RecommendationWord;
  /** One line per policy that was not ALLOW (empty when allowed). */
  reasons: string[];
  outcomes: PolicyOutcome[];
}

/** Closes a session: keeps results as history, deletes its work items, stores and returns the recommendation. */
export async function finishSession(store: RefStore, session: number, connection = ''): Promise<Recommendation> {
  const r = await closeSession(store, session, () => true);
  publish('tnc:recommendation', {
    connection: connection || `session ${session}`,
    recommendation: r.recommendation,
    reasons: r.reasons,
  });
  return r;
}

/** finishSession without the event, over the work items `counts` accepts (the others are dropped unjudged). */
async function closeSession(
  store: RefStore,
  session: number,
  counts: (w: WorkItem) => boolean,
): Promise<Recommendation> {
  return store.transaction(async (s) => {
    if (!(await s.session(session))) throw new StateError(`session ${session} does not exist`);
    const items = (await s.workItems(session)).filter(counts);
    const enforcements = new Map((await s.listEnforcements()).map((e) => [e.id, e]));
    const policies = new Map((await s.listPolicies()).map((p) => [p.id, p]));
    const outcomes: PolicyOutcome[] = [];
    for (const w of items) {
      const policyId = enforcements.get(w.enforcement)?.policy ?? 0;
      const p = policies.get(policyId);
      const rec = w.result === null ? w.recNoResult : (w.recFinal ?? w.recNoResult);
      if (w.result !== null) await s.addResult({ session, policy: policyId, rec, result: w.result });
      outcomes.push({
        policy: policyId,
        name: p?.name ?? `policy ${policyId}`,
        type: PolicyTypeName.get(w.type) ?? String(w.type),
        rec,
        result: w.result,
      });
    }
    await s.deleteWorkItems(session);
    const rec = worstRecommendation(outcomes.map((o) => o.rec));
    await s.setSessionRecommendation(session, rec);
    const reasons = outcomes
      .filter((o) => o.rec !== ActionRecommendation.ALLOW)
      .map((o) => `${o.name}: ${o.result ?? 'no result'} (${recommendationWord(o.rec)})`);
    return { session, rec, recommendation: recommendationWord(rec), reasons, outcomes };
  });
}

/** A file or directory the verifier is to have measured. */
export interface MeasurementTarget {
  path: string;
  directory?: boolean;
}

/**
 * What a device of `product` is to measure, from the database's policies: every file and directory measurement
 * policy (file-meas, file-ref-meas, dir-meas, dir-ref-meas) enforced on the product's default group (or `Default`)
 * and its parents. Empty when the product or its groups are unknown.
 */
export async function measurementTargets(store: RefStore, product: string): Promise<MeasurementTarget[]> {
  // The plan of a peer without history: nothing is skipped.
  return (await planAttestation(store, { product, now: 0 })).targets;
}

// -----------------------------------------------------------------------------------------------------------------
// The policy engine over attestation verdicts: a plan when the handshake starts (what to measure, what max_age
// lets us skip), a judgement when the PTS verifier has decided (work items of the file and directory measurement
// policies get their results; rec_fail / rec_noresult pick the recommendation).

/** Policy types whose target the attestation verifier measures (hashes; metadata policies are not measured). */
const MEASURED_TYPES: ReadonlySet<number> = new Set([
  PolicyType.FILE_REF_MEAS,
  PolicyType.FILE_MEAS,
  PolicyType.DIR_REF_MEAS,
  PolicyType.DIR_MEAS,
]);

/** A file or directory measurement policy as one handshake applies it. */
export interface PlannedPolicy {
  enforcement: number;
  policy: number;
  name: string;
  type: PolicyTypeValue;
  /** The file or directory the policy measures. */
  target: MeasurementTarget;
  /** The enforcement's value where it sets one, else the policy's. */
  recFail: number;
  recNoResult: number;
  /** Seconds. */
  maxAge: number;
  /** Set when the device's newest result of this policy within max_age was ALLOW: the target is not measured. */
  skipped?: { since: number };
}

export interface AttestationPlan {
  product: string;
  /** The peer's identity as the transport established it ('' when it has none). */
  identity: string;
  /** Seconds since the epoch: when the handshake started (the session's time). */
  now: number;
  /** The device last seen under `identity` (database id), whose recent results let a policy be skipped. */
  device: number | null;
  policies: PlannedPolicy[];
  /** What to measure: the target of every policy not skipped, each once. */
  targets: MeasurementTarget[];
}

/** The groups whose enforcements apply: the device's (as startSession walks them), else the product's default. */
async function planGroups(store: RefStore, product: string, device: number | null): Promise<number[]> {
  if (device !== null && (await store.device(device))?.created != null) {
    const groups = await store.deviceGroups(device);
    if (groups.length) return groups;
  }
  const p = await store.productByName(product);
  const g = (p && (await store.productDefaultGroup(p.id))) ?? (await store.groupByName(DEFAULT_GROUP))?.id;
  return g === undefined ? [] : [g];
}

/**
 * The plan of one attestation of a `product` device known to the transport as `identity`: every file and directory
 * measurement policy enforced on its groups and their parents, with rec_fail / rec_noresult (the enforcement's
 * override first) and max_age. A policy whose newest result for the device last seen under this identity was ALLOW
 * within max_age is skipped (not measured), as strongSwan's policy manager does. Reads only.
 */
export async function planAttestation(
  store: RefStore,
  input: { product: string; identity?: string; now: number },
): Promise<AttestationPlan> {
  const identity = input.identity ?? '';
  // An anonymous peer has no history to go by: everything is measured.
  const device = identity ? ((await store.lastDeviceOfIdentity(identity)) ?? null) : null;
  const policies = new Map((await store.listPolicies()).map((p) => [p.id, p]));
  const planned: PlannedPolicy[] = [];
  const seen = new Set<number>();
  for (const start of await planGroups(store, input.product, device)) {
    for (const gid of await groupChain(store, start)) {
      for (const e of await store.listEnforcements(gid)) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        const p = policies.get(e.policy);
        if (!p || !MEASURED_TYPES.has(p.type)) continue;
        const kind = policyTarget(p.type) === 'dir' ? 'dir' : 'file';
        const id = kind === 'dir' ? p.dir : p.file;
        const path = id === null ? undefined : await store.pathOf(kind, id);
        if (!path) continue;
        const latest = device === null ? undefined : await store.latestResult(p.id, device, input.now - e.maxAge);
        planned.push({
          enforcement: e.id,
          policy: p.id,
          name: p.name,
          type: p.type,
          target: kind === 'dir' ? { path, directory: true } : { path },
          recFail: e.recFail ?? p.recFail,
          recNoResult: e.recNoResult ?? p.recNoResult,
          maxAge: e.maxAge,
          ...(latest?.rec === ActionRecommendation.ALLOW ? { skipped: { since: latest.time } } : {}),
        });
      }
    }
  }
  const targets = new Map<string, MeasurementTarget>();
  for (const p of planned) {
    if (!p.skipped) targets.set(`${p.target.directory ? 'd' : 'f'}:${p.target.path}`, p.target);
  }
  return {
    product: input.product,
    identity,
    now: input.now,
    device,
    policies: planned,
    targets: [...targets.values()],
  };
}

/** Whether a failing file (or unanswered request) lies in a policy's file or directory (not recursive). */
function lies(f: PtsFileFinding, target: MeasurementTarget): boolean {
  if (!target.directory) return !f.directory && f.path === target.path;
  return f.directory ? f.path === target.path : splitPath(f.path).dir === target.path;
}

/** Whether the verifier measured a policy's target (directly, or a file through its directory). */
function wasMeasured(target: MeasurementTarget, measured: readonly MeasurementTarget[]): boolean {
  if (target.directory) return measured.some((m) => m.directory && m.path === target.path);
  const dir = splitPath(target.path).dir;
  return measured.some((m) => (m.directory ? m.path === dir : m.path === target.path));
}

/** What the judgement needs of the PTS verdict. */
export type AttestationFindings = Pick<PtsVerdict, 'reasons' | 'fileFindings' | 'otherReasons' | 'evaluation'> & {
  aikKeyId?: string;
};

export interface AttestationJudgement {
  /** The engine's session, with the policies' results (the assessment is to be stored under it). */
  session: number;
  /** The attestation verifier's recommendation under the policies. */
  rec: number;
  evaluation: number;
  /** Every reason of the verdict (each failing file named), then one per policy that was not ALLOW. */
  reasons: string[];
  outcomes: PolicyOutcome[];
  /** Failing files that no file or directory policy of the session covers (each means no access). */
  uncovered: string[];
}

/**
 * Applies the policy engine to a PTS verdict: a session for the device (the AIK), a result for every file and
 * directory measurement work item — COMPLIANT when none of the failing files lies in its target, NONCOMPLIANT_MAJOR
 * naming them otherwise, none when its target was not measured (→ rec_noresult) — then the session is finished.
 * The recommendation is the worst of those work items, except NO_ACCESS when the verdict failed for anything but
 * files (AIK, quote, IMA, boot, protocol) or a failing file lies in no policy (a configured `files` entry).
 *
 * A verdict with such other failures records no COMPLIANT result: evidence that did not verify must not let a later
 * attestation skip a policy by max_age. `measured`: what the verifier asked for (default: the plan's targets).
 * Work items of other types (SWID, packages, TPM, metadata) are not this verifier's: dropped unjudged.
 */
export async function judgeAttestation(
  store: RefStore,
  plan: AttestationPlan,
  verdict: AttestationFindings,
  o: { measured?: readonly MeasurementTarget[] } = {},
): Promise<AttestationJudgement> {
  // One transaction: the session, its results and its recommendation are stored whole or not at all.
  return store.transaction((s) => judgeIn(s, plan, verdict, o.measured ?? plan.targets));
}

async function judgeIn(
  store: RefStore,
  plan: AttestationPlan,
  verdict: AttestationFindings,
  measured: readonly MeasurementTarget[],
): Promise<AttestationJudgement> {
  // What the plan measured is judged, whatever history appeared since; what it skipped stays skipped only if the
  // device judged now has that history too (another device under the identity gets rec_noresult).
  const planSkipped = new Set(plan.policies.filter((p) => p.skipped).map((p) => p.enforcement));
  const started = await startSession(store, {
    product: plan.product,
    ...(verdict.aikKeyId ? { device: verdict.aikKeyId } : {}),
    identity: plan.identity,
    now: plan.now,
    maySkip: (e) => planSkipped.has(e),
  });
  const trustworthy = verdict.otherReasons.length === 0;
  const covered = new Set<PtsFileFinding>();
  const handled = new Set<number>();
  for (const w of started.workItems) {
    if (!MEASURED_TYPES.has(w.type)) continue;
    handled.add(w.id);
    const dir = policyTarget(w.type) === 'dir';
    const path = await store.pathOf(dir ? 'dir' : 'file', w.argInt);
    if (!path) continue; // a policy without its file: no result, rec_noresult
    const target: MeasurementTarget = dir ? { path, directory: true } : { path };
    const failing = verdict.fileFindings.filter((f) => lies(f, target));
    for (const f of failing) covered.add(f);
    if (failing.length) {
      const text = [...new Set(failing.map((f) => f.path))].join(', ');
      await recordResult(store, started.session, w.id, text, EvaluationResult.NONCOMPLIANT_MAJOR);
    } else if (trustworthy && wasMeasured(target, measured)) {
      await recordResult(store, started.session, w.id, 'measurements match the references', EvaluationResult.COMPLIANT);
    }
  }
  const r = await closeSession(store, started.session, (w) => handled.has(w.id));
  const uncovered = [...new Set(verdict.fileFindings.filter((f) => !covered.has(f)).map((f) => f.path))];
  const rec = !trustworthy || uncovered.length ? ActionRecommendation.NO_ACCESS : r.rec;
  if (rec !== r.rec) await store.setSessionRecommendation(started.session, rec);
  const reasons = [...verdict.reasons, ...r.reasons];
  let evaluation: number;
  if (rec === ActionRecommendation.ALLOW)
    evaluation = reasons.length ? EvaluationResult.NONCOMPLIANT_MINOR : EvaluationResult.COMPLIANT;
  else if (verdict.evaluation !== EvaluationResult.COMPLIANT) evaluation = verdict.evaluation;
  else evaluation = EvaluationResult.DONT_KNOW; // nothing failed, but a policy got no result
  return { session: started.session, rec, evaluation, reasons, outcomes: r.outcomes, uncovered };
}
