/**
 * IETF Operational Status (RFC 5792 §4.2.5), type 5.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Status     |     Result    |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Last Use (20 octets, RFC 3339 UTC)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Last Use is "YYYY-MM-DDTHH:MM:SSZ", or "0000-00-00T00:00:00Z" when unknown.
 */
import { ConfigError, reverse } from '../../../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export const OperationalStatus = {
  UNKNOWN: 0,
  NOT_INSTALLED: 1,
  INSTALLED_NOT_OPERATIONAL: 2,
  OPERATIONAL: 3,
} as const;
export const OperationalStatusName = reverse(OperationalStatus);
export const OperationalResult = {
  UNKNOWN_OR_NEVER_USED: 0,
  SUCCESSFUL_USE_NO_ERRORS: 1,
  SUCCESSFUL_USE_WITH_ERRORS: 2,
  UNSUCCESSFUL_USE: 3,
} as const;
export const OperationalResultName = reverse(OperationalResult);

export interface IetfOperationalStatus extends PaAttribute {
  readonly kind: 'ietf/operational-status';
  status: number;
  result: number;
  /** RFC 3339 time, exactly 20 ASCII characters. */
  lastUse: string;
}

const LAST_USE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export const ietfOperationalStatus: PaAttributeCodec<IetfOperationalStatus> = {
  kind: 'ietf/operational-status',
  vendor: Pen.IETF,
  type: IetfAttr.OPERATIONAL_STATUS,
  name: 'Operational Status',
  encodeValue(w, a) {
    if (!LAST_USE.test(a.lastUse))
      throw new ConfigError(`Operational Status last use "${a.lastUse}" is not YYYY-MM-DDTHH:MM:SSZ`);
    w.u8(a.status).u8(a.result).u16(0).utf8(a.lastUse);
  },
  decodeValue(r) {
    const status = r.u8('status');
    if (status > OperationalStatus.OPERATIONAL) r.fail('status', `unknown status ${status}`, r.offset - 1);
    const result = r.u8('result');
    if (result > OperationalResult.UNSUCCESSFUL_USE) r.fail('result', `unknown result ${result}`, r.offset - 1);
    r.skip(2, 'reserved');
    const at = r.offset;
    const lastUse = r.utf8(20, 'lastUse');
    if (!LAST_USE.test(lastUse)) r.fail('lastUse', 'not an RFC 3339 UTC time', at);
    return { status, result, lastUse };
  },
};
