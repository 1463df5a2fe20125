/**
 * The PB-TNC state machine (RFC 5793 §3.2), one pure transition function for both roles, with the transitions
 * strongSwan implements (tnccs_20/state_machine/pb_tnc_state_machine.c):
 *
 *              Receive CRETRY        SRETRY
 *                   or SRETRY   +----------------+
 *                        +--+   |                |
 *                        v  |   v                |
 *                       +---------+  CRETRY  +---------+
 *             CDATA     | Server  |<---------| Decided | CLOSE
 *          +----------->| Working |--------->|         |-------+
 *          |            +---------+  RESULT  +---------+       |
 *          |                ^ |  |                             v
 *          |                | |  +---------------------->=======
 *        ========           | |              CLOSE       " End "
 *        " Init "      CDATA| |SDATA                     =======
 *        ========           | |                          ^    ^
 *          |  |             | v                          |    |
 *          |  | SDATA   +---------+          CLOSE       |    |
 *          |  +-------->| Client  |----------------------+    |
 *          |            | Working |                           |
 *          |            +---------+                           |
 *          |                |  ^                              |
 *          |                +--+                              |
 *          |            Receive CRETRY                        |
 *          |   CLOSE                                          |
 *          +--------------------------------------------------+
 *
 * Every batch type has one legitimate sender (CDATA, CRETRY: client; SDATA, RESULT, SRETRY: server; CLOSE: both),
 * so the table is written in terms of who sends; `role` and the direction say whether that is us or the peer.
 */
import { PbBatchType, PbErrorCode } from './constants.ts';
import type { PbBatchTypeValue } from './constants.ts';

export const PbState = {
  INIT: 'Init',
  SERVER_WORKING: 'Server Working',
  CLIENT_WORKING: 'Client Working',
  DECIDED: 'Decided',
  END: 'End',
} as const;
export type PbStateValue = (typeof PbState)[keyof typeof PbState];

export type PbRole = 'client' | 'server';
export interface PbEvent {
  dir: 'send' | 'receive';
  batch: PbBatchTypeValue;
}
export interface PbTransition {
  state: PbStateValue;
  /** Set when the batch is not allowed in this state: answer PB-Error "unexpected batch type" and CLOSE. */
  error?: typeof PbErrorCode.UNEXPECTED_BATCH_TYPE;
}

/** The role that may send each batch type (CLOSE: either). */
function senderOf(b: PbBatchTypeValue): PbRole | 'either' {
  switch (b) {
    case PbBatchType.CDATA:
    case PbBatchType.CRETRY:
      return 'client';
    case PbBatchType.SDATA:
    case PbBatchType.RESULT:
    case PbBatchType.SRETRY:
      return 'server';
    case PbBatchType.CLOSE:
      return 'either';
  }
}

export function pbTransition(state: PbStateValue, role: PbRole, event: PbEvent): PbTransition {
  const reject: PbTransition = { state, error: PbErrorCode.UNEXPECTED_BATCH_TYPE };
  const b = event.batch;
  const sender: PbRole = event.dir === 'send' ? role : role === 'client' ? 'server' : 'client';
  const allowed = senderOf(b);
  if (allowed !== 'either' && allowed !== sender) return reject;
  if (b === PbBatchType.CLOSE) return { state: PbState.END };
  switch (state) {
    case PbState.INIT:
      if (b === PbBatchType.CDATA) return { state: PbState.SERVER_WORKING };
      if (b === PbBatchType.SDATA) return { state: PbState.CLIENT_WORKING };
      return reject;
    case PbState.SERVER_WORKING:
      if (b === PbBatchType.SDATA || b === PbBatchType.SRETRY) return { state: PbState.CLIENT_WORKING };
      if (b === PbBatchType.RESULT) return { state: PbState.DECIDED };
      if (b === PbBatchType.CRETRY) return { state: PbState.SERVER_WORKING };
      return reject;
    case PbState.CLIENT_WORKING:
      if (b === PbBatchType.CDATA || b === PbBatchType.CRETRY) return { state: PbState.SERVER_WORKING };
      if (b === PbBatchType.SRETRY) return { state: PbState.CLIENT_WORKING };
      return reject;
    case PbState.DECIDED:
      // strongSwan moves to Server Working on SRETRY too, after which its client cannot send CDATA; the server
      // asked for a new handshake, so it is the client's turn: Client Working.
      if (b === PbBatchType.CRETRY) return { state: PbState.SERVER_WORKING };
      if (b === PbBatchType.SRETRY) return { state: PbState.CLIENT_WORKING };
      return reject;
    case PbState.END:
      return reject;
  }
}
