/** The PB-TNC state machine (RFC 5793 §3.2) as a table: every state × role × direction × batch type. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PbBatchType, PbErrorCode, PbState, pbTransition } from '../../../../src/tnc/pb/index.ts';
import type { PbBatchTypeValue, PbRole, PbStateValue } from '../../../../src/tnc/pb/index.ts';

const { INIT, SERVER_WORKING: SW, CLIENT_WORKING: CW, DECIDED, END } = PbState;
const { CDATA, SDATA, RESULT, CRETRY, SRETRY, CLOSE } = PbBatchType;

/** Expected next state for a batch *sent by* `sender` in `state`; missing = unexpected batch type. */
const table: Record<PbStateValue, Partial<Record<PbBatchTypeValue, PbStateValue>>> = {
  [INIT]: { [CDATA]: SW, [SDATA]: CW, [CLOSE]: END },
  [SW]: { [SDATA]: CW, [SRETRY]: CW, [RESULT]: DECIDED, [CRETRY]: SW, [CLOSE]: END },
  [CW]: { [CDATA]: SW, [CRETRY]: SW, [SRETRY]: CW, [CLOSE]: END },
  [DECIDED]: { [CRETRY]: SW, [SRETRY]: CW, [CLOSE]: END },
  [END]: { [CLOSE]: END },
};
const senderOf: Record<PbBatchTypeValue, PbRole | 'either'> = {
  [CDATA]: 'client',
  [CRETRY]: 'client',
  [SDATA]: 'server',
  [RESULT]: 'server',
  [SRETRY]: 'server',
  [CLOSE]: 'either',
};

test('transition table for both roles and directions', () => {
  let checked = 0;
  for (const state of Object.values(PbState)) {
    for (const batch of Object.values(PbBatchType)) {
      for (const role of ['client', 'server'] as const) {
        for (const dir of ['send', 'receive'] as const) {
          const sender = dir === 'send' ? role : role === 'client' ? 'server' : 'client';
          const legit = senderOf[batch] === 'either' || senderOf[batch] === sender;
          const next = legit ? table[state][batch] : undefined;
          const t = pbTransition(state, role, { dir, batch });
          if (next === undefined)
            assert.deepEqual(
              t,
              { state, error: PbErrorCode.UNEXPECTED_BATCH_TYPE },
              `${state} ${role} ${dir} ${batch}`,
            );
          else assert.deepEqual(t, { state: next }, `${state} ${role} ${dir} ${batch}`);
          checked++;
        }
      }
    }
  }
  assert.equal(checked, 5 * 6 * 2 * 2);
});

test('a plain handshake walks Init → Server Working → Client Working → … → Decided → End on both sides', () => {
  const flow: [PbRole, PbBatchTypeValue][] = [
    ['client', CDATA],
    ['server', SDATA],
    ['client', CDATA],
    ['server', RESULT],
    ['client', CLOSE],
  ];
  let c: PbStateValue = INIT;
  let s: PbStateValue = INIT;
  const seen: string[] = [];
  for (const [sender, batch] of flow) {
    c = pbTransition(c, 'client', { dir: sender === 'client' ? 'send' : 'receive', batch }).state;
    s = pbTransition(s, 'server', { dir: sender === 'server' ? 'send' : 'receive', batch }).state;
    assert.equal(c, s);
    seen.push(c);
  }
  assert.deepEqual(seen, [SW, CW, SW, DECIDED, END]);
});
