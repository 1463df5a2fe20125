/**
 * IETF SWIMA Software Identifier Events (RFC 8412 §5.9), PA-TNC attribute type 15: the layout of events-body.ts, records without the record itself.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';
import { readEvents, writeEvents } from './events-body.ts';
import type { SwimaEventsBody } from './events-body.ts';

export interface IetfSwimaSwIdEvents extends PaAttribute, SwimaEventsBody {
  readonly kind: 'ietf/swima-sw-id-events';
}

export const ietfSwimaSwIdEvents: PaAttributeCodec<IetfSwimaSwIdEvents> = {
  kind: 'ietf/swima-sw-id-events',
  vendor: Pen.IETF,
  type: IetfAttr.SOFTWARE_IDENTIFIER_EVENTS,
  name: 'Software Identifier Events',
  encodeValue(w, a) {
    writeEvents(w, a, false);
  },
  decodeValue(r) {
    return readEvents(r, false);
  },
};
