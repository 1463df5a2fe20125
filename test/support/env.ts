/**
 * Guards for tests that need root, network namespaces, or Debian tools. In CI (CI=true) a missing requirement is a
 * failure, never a silent skip; elsewhere the test is skipped with a message that says why.
 */
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';

export const inCI = process.env.CI === 'true';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns true when the test may go on. Otherwise skips it (outside CI) or fails it (in CI) with the reason.
 */
export function requires(t: TestContext, what: { root?: boolean; commands?: string[] }): boolean {
  const missing: string[] = [];
  if (what.root && !isRoot()) missing.push('root (network namespaces)');
  for (const c of what.commands ?? []) if (!hasCommand(c)) missing.push(`command ${c}`);
  if (!missing.length) return true;
  const why = `needs ${missing.join(', ')}; .ci/run installs it`;
  if (inCI) throw new Error(`CI=true but this test ${why}`);
  t.skip(why);
  return false;
}
