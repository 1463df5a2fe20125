/**
 * `attestd measure <dirs…> [--manifest FILE] [--cache FILE] [--alg sha256]… [--concurrency N] [--json]`: digests of
 * every regular file under the directories (src/measure/cli.ts). Without --manifest the manifest goes to stdout
 * (sha256sum format for one algorithm, JSON with --json or several algorithms); with it, a summary is printed.
 * Unreadable files are listed on stderr and make the exit status 1, like sha256sum.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../common/errors.ts';
import { hashName } from '../../measure/hash.ts';
import { measure } from '../../measure/cli.ts';
import { writeManifestJson, writeManifestText } from '../../measure/manifest.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  summary: 'measure file trees (digests of every regular file), with a stat cache and manifests',
  usage: 'attestd measure DIR... [--manifest FILE[.json]] [--cache FILE] [--alg sha256]... [--concurrency N] [--json]',
  async run(argv) {
    const { values: v, positionals: dirs } = parseArgs({
      args: argv,
      options: {
        manifest: { type: 'string' },
        cache: { type: 'string' },
        alg: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
    if (!dirs.length) throw new ConfigError('no directory given');
    const concurrency = v.concurrency === undefined ? undefined : Number(v.concurrency);
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 0 && concurrency <= 64))
      throw new ConfigError('--concurrency must be 0 to 64');
    const algorithms = v.alg?.map(hashName);
    const r = await measure(dirs, {
      ...(algorithms ? { algorithms } : {}),
      ...(v.manifest ? { manifest: v.manifest } : {}),
      ...(v.cache ? { cache: v.cache } : {}),
      ...(concurrency === undefined ? {} : { concurrency }),
    });
    for (const e of r.errors) console.error(`attestd measure: ${e.path}: ${e.code}`);
    const s = r.stats;
    const summary = {
      files: s.files,
      bytes: s.bytes,
      hashedFiles: s.hashedFiles,
      cacheHits: s.cacheHits,
      symlinks: s.symlinks,
      directories: s.directories,
      skipped: s.skipped,
      errors: s.errors,
      ms: Math.round(s.ms),
    };
    if (v.manifest) {
      if (v.json) console.log(JSON.stringify({ manifest: v.manifest, ...summary }));
      else
        console.log(
          `${s.files} files (${s.hashedFiles} hashed, ${s.cacheHits} from the cache), ${s.symlinks} symlinks, ` +
            `${s.errors} errors in ${summary.ms} ms; manifest written to ${v.manifest}`,
        );
    } else if (v.json || r.manifest.algorithms.length > 1) process.stdout.write(writeManifestJson(r.manifest));
    else process.stdout.write(writeManifestText(r.manifest));
    return r.errors.length ? 1 : 0;
  },
};
