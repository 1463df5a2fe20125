/**
 * SASL mechanism name fields shared by SASL Mechanisms and SASL Mechanism Selection (RFC 6876 §3.8.4, §3.8.5):
 *
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Rsvd | Mech Len|  Mechanism Name (Mech Len octets) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Rsvd (3 bits) is sent as 0 and ignored on receipt (strongSwan masks the octet with 0x1f). Names follow RFC 4422
 * §3.1: 1 to 20 characters from A-Z, 0-9, '-' and '_'.
 */
import type { Reader, Writer } from '../../common/bytes.ts';
import { LimitError } from '../../common/errors.ts';

const NAME = /^[A-Z0-9_-]{1,20}$/;

export function isSaslMechanismName(s: string): boolean {
  return NAME.test(s);
}

export function writeSaslName(w: Writer, name: string): void {
  if (!isSaslMechanismName(name))
    throw new LimitError('sasl.mechanism', `invalid SASL mechanism name ${JSON.stringify(name)}`);
  w.u8(name.length).utf8(name);
}

export function readSaslName(r: Reader, field: string): string {
  const at = r.offset;
  const len = r.u8(`${field}.length`) & 0x1f;
  const name = r.utf8(len, field);
  if (!isSaslMechanismName(name)) r.fail(field, `invalid SASL mechanism name ${JSON.stringify(name)}`, at);
  return name;
}
