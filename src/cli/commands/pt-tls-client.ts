/**
 * `attestd pt-tls-client`: connects to a PT-TLS server, lets it assess us with our collectors and, with --mutual,
 * assesses it with our verifiers. Prints each side's recommendation and reasons. Exit codes as documented in
 * pt-tls-server.ts: 0 allowed, 3 isolated, 4 denied, 5 no recommendation, 1 error, 2 usage (mutual: the worse).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, Logger } from '../../common/index.ts';
import type { LogLevelName } from '../../common/index.ts';
import { parseRecommendationPolicy } from '../../tnc/imc-imv/index.ts';
import { ptTlsAssess } from '../../tnc/pt-tls-assess.ts';
import type { Command } from '../command.ts';
import {
  describeResult,
  exitCodeOf,
  loadImcs,
  loadImvs,
  parseSasl,
  readModuleConfig,
  usageGuard,
  worst,
} from './pt-tls-server.ts';

export const command: Command = {
  summary: 'PT-TLS (RFC 6876) client: be assessed by a TNC server (and, with --mutual, assess it)',
  usage:
    'attestd pt-tls-client --host HOST [--port 271] --ca FILE [--cert FILE --key FILE] [--sasl user:pass] ' +
    '[--servername NAME] [--imc os --imc test] [--command allow|isolate|block|none|retry] [--imc-config FILE] ' +
    '[--mutual [--imv test --imv os] [--policy default|any|all] [--imv-config FILE]] [--tls 1.2|1.3] [--log-level L]',
  run(argv) {
    return usageGuard('pt-tls-client', command.usage, () => connectAndAssess(argv));
  },
};

async function connectAndAssess(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string', default: '271' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      sasl: { type: 'string' },
      servername: { type: 'string' },
      imc: { type: 'string', multiple: true },
      imv: { type: 'string', multiple: true },
      command: { type: 'string' },
      'imc-config': { type: 'string' },
      'imv-config': { type: 'string' },
      mutual: { type: 'boolean', default: false },
      policy: { type: 'string', default: 'default' },
      tls: { type: 'string' },
      'log-level': { type: 'string', default: 'error' },
    },
  });
  if (!values.host || !values.ca) throw new ConfigError('--host and --ca are required');
  const policy = parseRecommendationPolicy(values.policy);
  if ((values.cert === undefined) !== (values.key === undefined)) throw new ConfigError('--cert and --key go together');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError('--port must be 1..65535');
  const tls =
    values.tls === undefined ? undefined : values.tls === '1.2' ? 'TLSv1.2' : values.tls === '1.3' ? 'TLSv1.3' : null;
  if (tls === null) throw new ConfigError('--tls must be 1.2 or 1.3');
  const log = new Logger({ level: values['log-level'] as LogLevelName });
  const imcs = await loadImcs(
    values.imc ?? ['test'],
    readModuleConfig(values['imc-config']),
    values.command ?? 'allow',
  );
  const imvs = values.mutual ? await loadImvs(values.imv ?? ['test'], readModuleConfig(values['imv-config'])) : [];
  const sasl = values.sasl ? parseSasl(values.sasl) : undefined;
  const r = await ptTlsAssess({
    host: values.host,
    port,
    ca: readFileSync(values.ca),
    ...(values.cert && values.key ? { cert: readFileSync(values.cert), key: readFileSync(values.key) } : {}),
    ...(values.servername ? { servername: values.servername } : {}),
    ...(sasl ? { identity: { authcid: sasl.user, password: sasl.password } } : {}),
    ...(tls ? { minVersion: tls, maxVersion: tls } : {}),
    imcs,
    ...(imvs.length ? { imvs, mutual: true } : {}),
    policy,
    log,
  });
  const lines = [`PT-TLS session with ${values.host}:${port} over ${r.session.tlsVersion}`];
  lines.push(...describeResult("the server's verdict on us", r.outcome.assessedBy));
  if (values.mutual) lines.push(...describeResult('our verdict on the server', r.outcome.decision));
  console.log(lines.join('\n'));
  const codes = [exitCodeOf(r.outcome.assessedBy?.recommendation)];
  if (values.mutual) codes.push(exitCodeOf(r.outcome.decision?.recommendation));
  return worst(...codes);
}
