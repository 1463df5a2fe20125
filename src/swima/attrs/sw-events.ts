/**
 * IETF SWIMA Software Events (RFC 8412 §5.11), PA-TNC attribute type 17: the layout of events-body.ts, each record followed by Record Length(32) and the record (a SWID tag).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';
import { readEvents, writeEvents } from './events-body.ts';
import type { SwimaEventsBody } from './events-body.ts';

export interface IetfSwimaSwEvents extends PaAttribute, SwimaEventsBody {
  readonly kind: 'ietf/swima-sw-events';
}

export const ietfSwimaSwEvents: PaAttributeCodec<IetfSwimaSwEvents> = {
  kind: 'ietf/swima-sw-events',
  vendor: Pen.IETF,
  type: IetfAttr.SOFTWARE_EVENTS,
  name: 'Software Events',
  encodeValue(w, a) {
    writeEvents(w, a, true);
  },
  decodeValue(r) {
    return readEvents(r, true);
  },
};
