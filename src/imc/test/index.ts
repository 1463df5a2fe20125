/**
 * The test collector, behaving like strongSwan's imc-test (src/libimcv/plugins/imc_test, conf/plugins/imc-test.opt):
 * at each handshake it sends an ITA Command attribute (NOSKIP set) with the configured command, plus a Dummy
 * attribute when `dummySize` > 0, to any Test IMV. Every later message from an IMV that has not sent an IETF
 * Assessment Result makes it repeat the measurement, exclusively to that IMV. With `retry` it asks for one handshake
 * retry after the first result, sending `retryCommand` then.
 *
 * Configuration: command (allow | isolate | block | none | retry | anything), retry (boolean), retryCommand,
 * dummySize (bytes), noskip (default true, as strongSwan sets it).
 */
import { ConfigError } from '../../common/index.ts';
import { ItaPaSubtype, Pen, isAttr, ietfAssessmentResult, itaCommand, itaDummyOfSize } from '../../tnc/pa/index.ts';
import type { ItaCommand, PaAttribute } from '../../tnc/pa/index.ts';
import type { ImcConnection, ImcModule, IncomingPa, OutgoingPa } from '../../tnc/imc-imv/index.ts';

export interface TestImcConfig {
  command: string;
  retry?: boolean;
  retryCommand?: string;
  dummySize?: number;
  noskip?: boolean;
}

/** The PA message type of the test pair: ITA-HSR, subtype Test. */
export const ITA_TEST = { vendor: Pen.ITA, subtype: ItaPaSubtype.TEST } as const;

const MAX_DUMMY = 1 << 20;

export function testImcConfig(raw: Record<string, unknown>): TestImcConfig {
  const str = (k: string) => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ConfigError(`imc test: ${k} must be a string`);
    return v;
  };
  const dummy = raw.dummySize ?? raw.dummy_size;
  if (dummy !== undefined && (typeof dummy !== 'number' || !Number.isInteger(dummy) || dummy < 0 || dummy > MAX_DUMMY))
    throw new ConfigError(`imc test: dummySize must be an integer 0..${MAX_DUMMY}`);
  const retryCommand = str('retryCommand') ?? str('retry_command');
  return {
    command: str('command') ?? 'none',
    retry: raw.retry === true || raw.retry === 'yes',
    ...(retryCommand !== undefined ? { retryCommand } : {}),
    ...(typeof dummy === 'number' ? { dummySize: dummy } : {}),
    noskip: raw.noskip !== false,
  };
}

export function createTestImc(config: TestImcConfig): ImcModule {
  return {
    name: 'test',
    subscriptions: [ITA_TEST],
    connect(): ImcConnection {
      let handshakes = 0;
      /** IMV ids that sent an assessment result in this handshake. */
      const assessed = new Set<number>();
      const measurement = (to?: number): OutgoingPa => {
        const command = handshakes > 1 ? (config.retryCommand ?? config.command) : config.command;
        const cmd: ItaCommand = { kind: 'ita/command', noskip: config.noskip ?? true, command };
        const attributes: PaAttribute[] = [cmd];
        if (config.dummySize) attributes.push(itaDummyOfSize(config.dummySize));
        return { ...ITA_TEST, attributes, ...(to !== undefined ? { to } : {}) };
      };
      return {
        beginHandshake() {
          handshakes++;
          assessed.clear();
          return [measurement()];
        },
        receive(msg: IncomingPa) {
          for (const a of msg.attributes) if (isAttr(ietfAssessmentResult, a)) assessed.add(msg.sourceId);
          const commands = msg.attributes.filter((a) => isAttr(itaCommand, a));
          if (assessed.has(msg.sourceId) || (commands.length === 0 && msg.attributes.length === 0)) return [];
          return [measurement(msg.sourceId)];
        },
        result() {
          return config.retry && handshakes === 1 ? 'retry' : undefined;
        },
      };
    },
  };
}

/** Module entry point (built-in name `test`). */
export function createImc(raw: Record<string, unknown>): ImcModule {
  return createTestImc(testImcConfig(raw));
}
