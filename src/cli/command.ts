import { defaultControlPath } from '../daemon/control.ts';

/** A subcommand of `attestd`. Files in src/cli/commands/<name>.ts export `command: Command`. */
export interface Command {
  summary: string;
  usage: string;
  /** Returns the exit status. Throw an Error with a clear message for usage and runtime errors. */
  run(argv: string[]): Promise<number>;
}

/** `--control PATH`, the daemon's control socket (default `$ATTESTD_CONTROL` or /run/attestd/attestd.sock). */
export const controlOption = {
  control: { type: 'string', default: process.env.ATTESTD_CONTROL ?? defaultControlPath },
} as const;
