/** A subcommand of `attestd`. Files in src/cli/commands/<name>.ts export `command: Command`. */
export interface Command {
  summary: string;
  usage: string;
  /** Returns the exit status. Throw an Error with a clear message for usage and runtime errors. */
  run(argv: string[]): Promise<number>;
}
