/**
 * `attestd list-verdicts`: the daemon's most recent attestation verdicts on IKE peers, newest first. A peer refused
 * for its posture ends up with no SA, so `list-sas` cannot show why: this can.
 */
import { parseArgs } from 'node:util';
import { controlRequest, type VerdictInfo } from '../../daemon/control.ts';
import { controlOption, type Command } from '../command.ts';

/** Verdicts as text: one header line per verdict, its reasons indented below. */
export function formatVerdicts(verdicts: VerdictInfo[]): string {
  if (!verdicts.length) return 'no attestation verdicts';
  const lines: string[] = [];
  for (const v of verdicts) {
    lines.push(`${v.time} ${v.ike}: ${v.decision}, peer '${v.peerId}' @ ${v.remote}`);
    for (const r of v.reasons) lines.push(`  ${r}`);
  }
  return lines.join('\n');
}

export const command: Command = {
  summary: 'list recent attestation verdicts on IKE peers (also of refused peers)',
  usage: 'attestd list-verdicts [--ike CONNECTION] [--limit N] [--json] [--control PATH]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ike: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...controlOption,
      },
    });
    let limit: number | undefined;
    if (values.limit !== undefined) {
      limit = Number(values.limit);
      if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit)) throw new Error('--limit must be a number');
    }
    const verdicts = (await controlRequest(values.control, {
      cmd: 'list-verdicts',
      ...(values.ike !== undefined ? { ike: values.ike } : {}),
      ...(limit !== undefined ? { limit } : {}),
    })) as VerdictInfo[];
    console.log(values.json ? JSON.stringify(verdicts) : formatVerdicts(verdicts));
    return 0;
  },
};
