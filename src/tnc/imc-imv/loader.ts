/**
 * Loading collectors and verifiers named in configuration: a built-in name (from a table the caller supplies,
 * since this layer may not import src/imc or src/imv) or a module path exporting `createImc` / `createImv`.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../common/index.ts';
import type { ImcModule, ImcModuleFile, ImvModule, ImvModuleFile } from './api.ts';

export interface ModuleSpec {
  /** Built-in name (`os`, `test`) or a path to a .ts/.js module. */
  name: string;
  config?: Record<string, unknown>;
}

const looksLikePath = (s: string) => s.includes('/') || s.endsWith('.ts') || s.endsWith('.js');

async function importFile(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`cannot load module ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export async function loadImc(
  spec: ModuleSpec,
  builtins: Readonly<Record<string, ImcModuleFile['createImc']>>,
): Promise<ImcModule> {
  const config = spec.config ?? {};
  const builtin = builtins[spec.name];
  if (builtin) return builtin(config);
  if (!looksLikePath(spec.name)) {
    throw new ConfigError(`unknown IMC '${spec.name}' (built-in: ${Object.keys(builtins).join(', ')})`);
  }
  const mod = await importFile(spec.name);
  if (typeof mod.createImc !== 'function') throw new ConfigError(`${spec.name} does not export createImc`);
  return (mod as unknown as ImcModuleFile).createImc(config);
}

export async function loadImv(
  spec: ModuleSpec,
  builtins: Readonly<Record<string, ImvModuleFile['createImv']>>,
): Promise<ImvModule> {
  const config = spec.config ?? {};
  const builtin = builtins[spec.name];
  if (builtin) return builtin(config);
  if (!looksLikePath(spec.name)) {
    throw new ConfigError(`unknown IMV '${spec.name}' (built-in: ${Object.keys(builtins).join(', ')})`);
  }
  const mod = await importFile(spec.name);
  if (typeof mod.createImv !== 'function') throw new ConfigError(`${spec.name} does not export createImv`);
  return (mod as unknown as ImvModuleFile).createImv(config);
}
