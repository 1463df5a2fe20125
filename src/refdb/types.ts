/**
 * Rows and constants of the reference database. Policy (work item) types keep strongSwan's numbers
 * (imv_workitem.h, `imv_workitem_type_t`) so that an imported strongSwan config.db means the same thing here.
 */
import { reverse } from '../common/names.ts';
import type { HashName } from '../measure/hash.ts';

export const PolicyType = {
  PACKAGES: 1,
  UNKNOWN_SOURCE: 2,
  FORWARDING: 3,
  DEFAULT_PWD: 4,
  FILE_REF_MEAS: 5,
  FILE_MEAS: 6,
  FILE_META: 7,
  DIR_REF_MEAS: 8,
  DIR_MEAS: 9,
  DIR_META: 10,
  TCP_PORT_OPEN: 11,
  TCP_PORT_BLOCK: 12,
  UDP_PORT_OPEN: 13,
  UDP_PORT_BLOCK: 14,
  SWID_TAGS: 15,
  /** Argument letters choose the evidence: `B` boot (firmware event log), `I` IMA, `T` TBOOT. */
  TPM_ATTEST: 16,
} as const;
export type PolicyTypeValue = (typeof PolicyType)[keyof typeof PolicyType];
export const PolicyTypeName = reverse(PolicyType);

export function isPolicyType(n: number): n is PolicyTypeValue {
  return PolicyTypeName.has(n);
}

/** Whether a policy type names a file (`file` column) or a directory (`dir` column), as strongSwan derives arg_int. */
export function policyTarget(t: PolicyTypeValue): 'file' | 'dir' | 'none' {
  switch (t) {
    case PolicyType.FILE_REF_MEAS:
    case PolicyType.FILE_MEAS:
    case PolicyType.FILE_META:
      return 'file';
    case PolicyType.DIR_REF_MEAS:
    case PolicyType.DIR_MEAS:
    case PolicyType.DIR_META:
      return 'dir';
    case PolicyType.PACKAGES:
    case PolicyType.UNKNOWN_SOURCE:
    case PolicyType.FORWARDING:
    case PolicyType.DEFAULT_PWD:
    case PolicyType.TCP_PORT_OPEN:
    case PolicyType.TCP_PORT_BLOCK:
    case PolicyType.UDP_PORT_OPEN:
    case PolicyType.UDP_PORT_BLOCK:
    case PolicyType.SWID_TAGS:
    case PolicyType.TPM_ATTEST:
      return 'none';
  }
}

export interface Product {
  id: number;
  name: string;
}

export interface Group {
  id: number;
  name: string;
  parent: number | null;
  /** Trust on first use: a new device joining this group has its AIK trusted and its boot values learned. */
  tofu: boolean;
}

export interface Device {
  id: number;
  /** AIK key id (hex) or other device identity value. */
  value: string;
  description: string;
  product: number | null;
  trusted: boolean;
  /** Seconds since the epoch when the policy manager first saw it; null until then. */
  created: number | null;
  inactive: boolean;
}

export interface Policy {
  id: number;
  type: PolicyTypeValue;
  name: string;
  argument: string;
  recFail: number;
  recNoResult: number;
  file: number | null;
  dir: number | null;
}

export interface Enforcement {
  id: number;
  policy: number;
  group: number;
  recFail: number | null;
  recNoResult: number | null;
  /** Seconds a successful result stays valid; while it does, the policy is not re-measured. */
  maxAge: number;
}

export interface Session {
  id: number;
  /** Seconds since the epoch. */
  time: number;
  connection: number;
  identity: string;
  device: number | null;
  product: number | null;
  rec: number;
}

export interface WorkItem {
  id: number;
  session: number;
  enforcement: number;
  type: PolicyTypeValue;
  argStr: string;
  argInt: number;
  recFail: number;
  recNoResult: number;
  recFinal: number | null;
  result: string | null;
}

/** One verifier's verdict on a session, with every reason it gave. */
export interface Verdict {
  id: number;
  session: number;
  /** The verifier (IMV) name. */
  imv: string;
  rec: number;
  evaluation: number;
  reasons: string[];
}

export interface Result {
  id: number;
  session: number;
  policy: number;
  rec: number;
  result: string;
}

export interface FileHashRow {
  /** Absolute path (`/usr/bin/ls`). */
  path: string;
  algo: HashName;
  /** Lowercase hex. */
  digest: string;
}

export interface StoredHash {
  algo: HashName;
  digest: Uint8Array;
  version: string;
}

export interface PackageVersionRow {
  name: string;
  release: string;
  security?: boolean;
  blacklist?: boolean;
  /** Seconds since the epoch. */
  time?: number;
}

export interface PackageVersion {
  release: string;
  security: boolean;
  blacklist: boolean;
  time: number;
}

export interface PackageInfo {
  name: string;
  /** The whole package is blacklisted, whatever its version. */
  blacklist: boolean;
  versions: PackageVersion[];
}

export interface Component {
  id: number;
  vendorId: number;
  name: number;
  qualifier: number;
  label: string;
}

export interface ComponentHash {
  seqNo: number;
  pcr: number;
  algo: HashName;
  digest: Uint8Array;
}

export interface SwidTag {
  id: number;
  versionId: number | null;
  packageName: string;
  versionStr: string;
  uniqueId: string;
  softwareId: string;
  swidXml: string;
}

export interface SwidEvent {
  id: number;
  device: number;
  epoch: number;
  eid: number;
  timestamp: string;
}
