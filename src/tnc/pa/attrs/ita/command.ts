/**
 * ITA-HSR Command (strongSwan src/libimcv/ita/ita_attr_command.c), PEN 0x00902a type 1: an ASCII command for the
 * test IMC/IMV pair, no length prefix, no NUL: "allow", "isolate", "block", "none", "retry", "repeat".
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Command (Variable Length)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { ItaAttr, Pen } from '../../constants.ts';

export interface ItaCommand extends PaAttribute {
  readonly kind: 'ita/command';
  command: string;
}

export const itaCommand: PaAttributeCodec<ItaCommand> = {
  kind: 'ita/command',
  vendor: Pen.ITA,
  type: ItaAttr.COMMAND,
  name: 'Command',
  encodeValue(w, a) {
    w.utf8(a.command);
  },
  decodeValue(r) {
    return { command: r.utf8(r.remaining, 'command') };
  },
};
