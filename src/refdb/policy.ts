/**
 * The policy engine, after strongSwan's imv_policy_manager (policy_start/policy_stop) and imv_workitem:
 *
 *   start:  session → device's groups (a new device joins its product's default group, or `Default`) → walk each
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
import type { RefStore } from './store.ts';
import { PolicyType, PolicyTypeName, policyTarget, type WorkItem } from './types.ts';

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

    let groups: number[];
    let firstUse = false;
    if (device !== null && created !== null) {
      groups = await s.deviceGroups(device);
    } else {
      const g = (await s.productDefaultGroup(product)) ?? (await s.groupByName(DEFAULT_GROUP))?.id;
      groups = g === undefined ? [] : [g];
      if (device !== null) {
        for (const gid of groups) await s.addGroupMember(gid, device);
        await s.setDeviceCreated(device, input.now);
        if (await groupsAllowTofu(s, groups)) {
          await s.setDeviceTrusted(device, true);
          firstUse = true;
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
          if (device !== null) {
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
  const r = await store.transaction(async (s) => {
    if (!(await s.session(session))) throw new StateError(`session ${session} does not exist`);
    const items = await s.workItems(session);
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
  publish('tnc:recommendation', {
    connection: connection || `session ${session}`,
    recommendation: r.recommendation,
    reasons: r.reasons,
  });
  return r;
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
  const p = await store.productByName(product);
  const start = (p && (await store.productDefaultGroup(p.id))) ?? (await store.groupByName(DEFAULT_GROUP))?.id;
  if (start === undefined) return [];
  const policies = new Map((await store.listPolicies()).map((x) => [x.id, x]));
  const out = new Map<string, MeasurementTarget>();
  for (const gid of await groupChain(store, start)) {
    for (const e of await store.listEnforcements(gid)) {
      const policy = policies.get(e.policy);
      if (!policy) continue;
      const target = policyTarget(policy.type);
      const id = target === 'file' ? policy.file : target === 'dir' ? policy.dir : null;
      if (id === null || policy.type === PolicyType.FILE_META || policy.type === PolicyType.DIR_META) continue;
      const path = await store.pathOf(target === 'dir' ? 'dir' : 'file', id);
      if (path) out.set(path, target === 'dir' ? { path, directory: true } : { path });
    }
  }
  return [...out.values()];
}
