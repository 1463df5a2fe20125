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

type Factory<M> = (config: Record<string, unknown>) => M;

/** A built-in by name, else the module file's `factory` export; ConfigError for an unknown name or a bad module. */
async function loadModule<M>(
  kind: 'IMC' | 'IMV',
  factory: 'createImc' | 'createImv',
  spec: ModuleSpec,
  builtins: Readonly<Record<string, Factory<M>>>,
): Promise<M> {
  const config = spec.config ?? {};
  const builtin = builtins[spec.name];
  if (builtin) return builtin(config);
  if (!looksLikePath(spec.name)) {
    throw new ConfigError(`unknown ${kind} '${spec.name}' (built-in: ${Object.keys(builtins).join(', ')})`);
  }
  const mod = await importFile(spec.name);
  const create = mod[factory];
  if (typeof create !== 'function') throw new ConfigError(`${spec.name} does not export ${factory}`);
  return (create as Factory<M>).call(mod, config);
}

export function loadImc(
  spec: ModuleSpec,
  builtins: Readonly<Record<string, ImcModuleFile['createImc']>>,
): Promise<ImcModule> {
  return loadModule('IMC', 'createImc', spec, builtins);
}

export function loadImv(
  spec: ModuleSpec,
  builtins: Readonly<Record<string, ImvModuleFile['createImv']>>,
): Promise<ImvModule> {
  return loadModule('IMV', 'createImv', spec, builtins);
}
