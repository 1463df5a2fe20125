/**
 * The `attestd` command line: one registry of subcommands, each parsing its own options with node:util parseArgs.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPrivateKey } from 'node:crypto';
import { Daemon } from '../daemon/daemon.ts';
import { controlRequest } from '../daemon/control.ts';
import { createCa, importCa, issueCert, KEY_TYPES, type KeyType } from '../daemon/pki/index.ts';
import { parseCertificate } from '../daemon/config/index.ts';
import { LOG_FORMATS, LogLevel, type LogFormat, type LogLevelName } from '../common/log.ts';
import type { SaInfo } from '../ike/engine.ts';
import { controlOption, type Command } from './command.ts';

function printSas(sas: SaInfo[]): void {
  if (!sas.length) {
    console.log('no IKE SAs');
    return;
  }
  for (const sa of sas) {
    console.log(
      `${sa.name}: #${sa.id}, ${sa.state}, IKEv2, ${sa.spiI}_i${sa.initiator ? '*' : ''} ${sa.spiR}_r${sa.initiator ? '' : '*'}`,
    );
    console.log(`  local  '${sa.localIds.join("', '")}' @ ${sa.local}`);
    console.log(`  remote '${sa.peerIds.join("', '")}' @ ${sa.remote}${sa.nat ? ' (NAT-T)' : ''}`);
    if (sa.suite) console.log(`  ${sa.suite}`);
    if (sa.authorization)
      console.log(
        `  attestation: ${sa.authorization.decision}${sa.authorization.reasons.length ? ` (${sa.authorization.reasons.join('; ')})` : ''}`,
      );
    for (const n of sa.notes) console.log(`  ${n}`);
    for (const c of sa.children) {
      console.log(`  ${c.name}: #${c.id}, ${c.state}, ${c.mode.toUpperCase()}, ESP SPIs: ${c.spiIn}_i ${c.spiOut}_o`);
      console.log(`    ${c.suite}`);
      console.log(`    local  ${c.localTs.join(' ')}`);
      console.log(`    remote ${c.remoteTs.join(' ')}`);
      const n = (
        c as {
          counters?: Record<
            'bytesIn' | 'packetsIn' | 'bytesOut' | 'packetsOut' | 'replayDrops' | 'icvFailures',
            number
          >;
        }
      ).counters;
      if (n)
        console.log(
          `    ${n.bytesIn} bytes_i (${n.packetsIn} pkts), ${n.bytesOut} bytes_o (${n.packetsOut} pkts), ${n.replayDrops} replay drops, ${n.icvFailures} ICV failures`,
        );
    }
  }
}

const commands: Record<string, Command> = {
  daemon: {
    summary: 'run the IKE daemon',
    usage:
      'attestd daemon --config swanctl.conf [--data-plane none|tun|xfrm] [--control PATH] [--group NAME]\n' +
      '       [--log-level info|debug|trace|raw] [--log-format text|json] [--metrics HOST:PORT|off] [--listen ADDR]...\n' +
      '  --log-format   log lines as text (default) or JSON lines; overrides attestd { log { format } }\n' +
      '  --metrics      Prometheus endpoint (GET /metrics, /healthz), e.g. 127.0.0.1:9464; overrides\n' +
      '                 attestd { metrics { listen } }, "off" disables it\n' +
      '  --json-log     same as --log-format json',
    async run(argv) {
      const { values } = parseArgs({
        args: argv,
        options: {
          config: { type: 'string', default: '/etc/swanctl/swanctl.conf' },
          'data-plane': { type: 'string', default: 'tun' },
          group: { type: 'string' },
          'log-level': { type: 'string', default: 'info' },
          'log-format': { type: 'string' },
          'json-log': { type: 'boolean', default: false },
          metrics: { type: 'string' },
          listen: { type: 'string', multiple: true },
          ...controlOption,
        },
      });
      const format = values['log-format'];
      if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format))
        throw new Error(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
      if (values['log-level'] !== undefined && !(values['log-level'] in LogLevel))
        throw new Error(`--log-level must be one of ${Object.keys(LogLevel).join(', ')}`);
      const daemon = new Daemon({
        config: values.config,
        dataPlane: values['data-plane'] as 'none' | 'tun' | 'xfrm',
        control: values.control,
        ...(values.group ? { controlGroup: values.group } : {}),
        logLevel: values['log-level'] as LogLevelName,
        ...(format ? { logFormat: format as LogFormat } : {}),
        json: values['json-log'],
        ...(values.metrics !== undefined ? { metrics: values.metrics } : {}),
        ...(values.listen ? { listen: values.listen } : {}),
      });
      await daemon.start();
      await new Promise<void>((resolve) => {
        const stop = () => void daemon.stop().then(resolve, resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        process.on(
          'SIGHUP',
          () =>
            void daemon
              .reload()
              .catch((e: unknown) => daemon.log.error('CFG', `reload failed: ${e instanceof Error ? e.message : e}`)),
        );
      });
      daemon.log.info('DMN', 'stopped');
      // SAs are deleted and sockets closed: exit now rather than wait for every library handle to drain.
      process.exit(0);
    },
  },
  initiate: {
    summary: 'start a connection (IKE SA and CHILD_SA)',
    usage: 'attestd initiate --ike NAME [--child NAME]',
    async run(argv) {
      const { values } = parseArgs({
        args: argv,
        options: {
          ike: { type: 'string' },
          child: { type: 'string' },
          json: { type: 'boolean', default: false },
          ...controlOption,
        },
      });
      if (!values.ike) throw new Error('--ike NAME is required');
      const sa = (await controlRequest(values.control, {
        cmd: 'initiate',
        ike: values.ike,
        ...(values.child ? { child: values.child } : {}),
      })) as SaInfo;
      if (values.json) console.log(JSON.stringify(sa));
      else printSas([sa]);
      return 0;
    },
  },
  terminate: {
    summary: 'delete IKE SAs of a connection (or by id)',
    usage: 'attestd terminate --ike NAME | --id N',
    async run(argv) {
      const { values } = parseArgs({
        args: argv,
        options: { ike: { type: 'string' }, id: { type: 'string' }, ...controlOption },
      });
      const r = (await controlRequest(values.control, {
        cmd: 'terminate',
        ...(values.id ? { id: values.id } : { ike: values.ike }),
      })) as { terminated: number };
      console.log(`terminated ${r.terminated} IKE SA(s)`);
      return 0;
    },
  },
  rekey: {
    summary: 'rekey an IKE SA or one of its CHILD_SAs',
    usage: 'attestd rekey --ike NAME [--child NAME]',
    async run(argv) {
      const { values } = parseArgs({
        args: argv,
        options: { ike: { type: 'string' }, id: { type: 'string' }, child: { type: 'string' }, ...controlOption },
      });
      await controlRequest(values.control, {
        cmd: 'rekey',
        ...(values.id ? { id: values.id } : { ike: values.ike }),
        ...(values.child ? { child: values.child } : {}),
      });
      console.log('rekeyed');
      return 0;
    },
  },
  'list-sas': {
    summary: 'list IKE SAs and CHILD_SAs',
    usage: 'attestd list-sas [--json]',
    async run(argv) {
      const { values } = parseArgs({
        args: argv,
        options: { json: { type: 'boolean', default: false }, ...controlOption },
      });
      const sas = (await controlRequest(values.control, { cmd: 'list-sas' })) as SaInfo[];
      if (values.json) console.log(JSON.stringify(sas));
      else printSas(sas);
      return 0;
    },
  },
  reload: {
    summary: 'reload the configuration, keeping unchanged SAs',
    usage: 'attestd reload',
    async run(argv) {
      const { values } = parseArgs({ args: argv, options: { ...controlOption } });
      console.log(JSON.stringify(await controlRequest(values.control, { cmd: 'reload' })));
      return 0;
    },
  },
  pki: {
    summary: 'make a CA or issue a host certificate (PEM files)',
    usage:
      'attestd pki ca --subject DN [--type ecdsa-p256] [--days N] --out DIR\n' +
      '       attestd pki issue --ca-cert FILE --ca-key FILE --subject DN --san NAME... [--type ecdsa-p256] [--days N] --out DIR --name NAME',
    async run(argv) {
      const [sub, ...rest] = argv;
      const { values } = parseArgs({
        args: rest,
        options: {
          subject: { type: 'string' },
          type: { type: 'string', default: 'ecdsa-p256' },
          days: { type: 'string' },
          out: { type: 'string', default: '.' },
          name: { type: 'string' },
          san: { type: 'string', multiple: true },
          'ca-cert': { type: 'string' },
          'ca-key': { type: 'string' },
        },
      });
      if (!values.subject) throw new Error('--subject is required');
      if (!(KEY_TYPES as readonly string[]).includes(values.type))
        throw new Error(`--type must be one of ${KEY_TYPES.join(', ')}`);
      const keyType = values.type as KeyType;
      const days = values.days ? Number(values.days) : undefined;
      mkdirSync(values.out, { recursive: true });
      if (sub === 'ca') {
        const ca = await createCa({ subject: values.subject, keyType, ...(days ? { days } : {}) });
        writeFileSync(join(values.out, 'ca.pem'), ca.certPem);
        writeFileSync(join(values.out, 'ca.key'), ca.keyPem, { mode: 0o600 });
        console.log(`wrote ${join(values.out, 'ca.pem')} and ca.key`);
        return 0;
      }
      if (sub === 'issue') {
        if (!values['ca-cert'] || !values['ca-key'] || !values.name)
          throw new Error('--ca-cert, --ca-key and --name are required');
        const caCert = parseCertificate(readFileSync(values['ca-cert']), values['ca-cert']);
        const caKey = createPrivateKey(readFileSync(values['ca-key']));
        const ca = importCa(caCert, caKey);
        const host = await issueCert({
          ca,
          subject: values.subject,
          keyType,
          san: values.san ?? [],
          ...(days ? { days } : {}),
          serverAuth: true,
          clientAuth: true,
        });
        writeFileSync(join(values.out, `${values.name}.pem`), host.certPem);
        writeFileSync(join(values.out, `${values.name}.key`), host.keyPem, { mode: 0o600 });
        console.log(`wrote ${join(values.out, `${values.name}.pem`)} and ${values.name}.key`);
        return 0;
      }
      throw new Error(`unknown pki subcommand '${sub ?? ''}'`);
    },
  },
};

/** Further commands live one per file in src/cli/commands/, each exporting `command: Command`. */
const commandDir = new URL('./commands/', import.meta.url);

async function loadCommand(name: string): Promise<Command | undefined> {
  if (commands[name]) return commands[name];
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
  const file = readdirSync(commandDir).find((f) => f === `${name}.ts`);
  if (!file) return undefined;
  const mod = (await import(pathToFileURL(new URL(file, commandDir).pathname).href)) as { command: Command };
  return mod.command;
}

async function help(): Promise<void> {
  console.log('usage: attestd <command> [options]\n');
  const names = [
    ...Object.keys(commands),
    ...readdirSync(commandDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3)),
  ];
  for (const name of [...new Set(names)].sort()) {
    const c = await loadCommand(name);
    if (c) console.log(`  ${name.padEnd(14)} ${c.summary}`);
  }
  console.log('\nattestd <command> --help for its options');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    await help();
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    console.error(`attestd: unknown command '${name}'`);
    await help();
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    console.error(`attestd ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
