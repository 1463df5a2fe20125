/**
 * Fuzz targets for the IMC/IMV hosts, ready for a `test/fuzz/tnc-imc-imv.fuzz.ts` that re-exports them: the input is
 * a PB-PA message body (a PA-TNC message) delivered to every built-in collector and verifier, exclusive and not.
 * Only declared errors may escape (none are expected: bad messages are answered with PA-TNC Errors).
 */
import { encodePaMessage, ItaPaSubtype, Pen } from '../../../../src/tnc/pa/index.ts';
import type { PbPaMessage } from '../../../../src/tnc/pb/index.ts';
import { PB_PA_ID_ANY } from '../../../../src/tnc/pb/index.ts';
import { createTncClient, createTncServer } from '../../../../src/tnc/imc-imv/index.ts';
import { createTestImc } from '../../../../src/imc/test/index.ts';
import { createTestImv } from '../../../../src/imv/test/index.ts';
import { createOsImc, osAttribute, staticOsInfo } from '../../../../src/imc/os/index.ts';
import { configOsPolicy, createOsImv } from '../../../../src/imv/os/index.ts';
import type { FuzzTarget } from '../../../support/harness.ts';
import { ctx, debianInfo } from './helpers.ts';

async function deliver(body: Uint8Array): Promise<void> {
  const server = createTncServer({
    imvs: [
      createTestImv({ rounds: 1 }),
      createOsImv(configOsPolicy({ allowedTcpPorts: [], forbiddenPackages: ['x'].map((name) => ({ name })) })),
    ],
    context: ctx(),
  });
  const client = createTncClient({
    imcs: [createTestImc({ command: 'allow' }), createOsImc({ source: staticOsInfo(debianInfo()) })],
    context: ctx(),
  });
  await server.beginHandshake();
  await client.beginHandshake();
  for (const [vendor, subtype] of [
    [Pen.ITA, ItaPaSubtype.TEST],
    [Pen.IETF, 1],
  ] as const) {
    for (const exclusive of [false, true]) {
      const m: PbPaMessage = {
        kind: 'pa',
        exclusive,
        paVendor: vendor,
        paSubtype: subtype,
        collectorId: 1,
        validatorId: exclusive ? 1 : PB_PA_ID_ANY,
        body,
      };
      await server.receive([m]);
      await client.receive([m]);
    }
  }
  await server.solicitRecommendation();
}

export const targets: FuzzTarget[] = [
  {
    name: 'imc-imv-hosts-pa-message',
    seeds() {
      const info = debianInfo();
      const os = [2, 3, 4, 6, 7, 11, 12].map((t) => osAttribute(t, info)!);
      return [
        encodePaMessage({
          messageId: 1,
          attributes: [{ kind: 'ita/command', noskip: true, command: 'allow' } as never],
        }),
        encodePaMessage({ messageId: 2, attributes: os }),
        encodePaMessage({
          messageId: 3,
          attributes: [
            {
              kind: 'ietf/attribute-request',
              requests: [2, 3, 4, 6, 7, 11, 12].map((type) => ({ vendor: 0, type })),
            } as never,
          ],
        }),
      ];
    },
    run: deliver,
  },
];
