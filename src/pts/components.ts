/**
 * Functional components and error attributes both PTS sides use: strongSwan names the firmware log as ITA/IMA with
 * qualifier K|trusted and the IMA list as ITA/IMA with qualifier K|OS (imv_attestation_agent.c).
 */
import { Pen } from '../tnc/pa/constants.ts';
import type { IetfPaTncError } from '../tnc/pa/attrs/ietf/pa-tnc-error.ts';
import { PtsItaCompFuncName, PtsItaQualifier } from './constants.ts';
import type { PtsCompFuncName } from './constants.ts';

/** BIOS and IMA as strongSwan names them (ITA IMA with qualifier K|trusted, K|OS). */
export const BIOS_COMPONENT: PtsCompFuncName = {
  vendor: Pen.ITA,
  qualifier: PtsItaQualifier.KERNEL | PtsItaQualifier.TYPE_TRUSTED,
  name: PtsItaCompFuncName.IMA,
};
export const IMA_COMPONENT: PtsCompFuncName = {
  vendor: Pen.ITA,
  qualifier: PtsItaQualifier.KERNEL | PtsItaQualifier.TYPE_OS,
  name: PtsItaCompFuncName.IMA,
};

/** A PTS error attribute (vendor TCG) to send for a malformed value. */
export function ptsErrorAttribute(code: number, info: Uint8Array = new Uint8Array(0)): IetfPaTncError {
  return {
    kind: 'ietf/pa-tnc-error',
    noskip: false,
    errorVendor: Pen.TCG,
    errorCode: code,
    info: { format: 'raw', data: info },
  };
}

export type PtsComponentKind = 'bios' | 'ima' | 'other';

/** Which component an evidence event belongs to (strongSwan's ITA names). */
export function componentKind(e: { name: PtsCompFuncName }): PtsComponentKind {
  if (e.name.vendor !== Pen.ITA || e.name.name !== PtsItaCompFuncName.IMA) return 'other';
  const type = e.name.qualifier & 0x0f;
  if (type === PtsItaQualifier.TYPE_TRUSTED) return 'bios';
  if (type === PtsItaQualifier.TYPE_OS) return 'ima';
  return 'other';
}
