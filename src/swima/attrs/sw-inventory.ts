/**
 * IETF SWIMA Software Inventory (RFC 8412 §5.10), PA-TNC attribute type 16: the layout of inventory-body.ts, each record followed by Record Length(32) and the record (a SWID tag).
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';
import { readInventory, writeInventory } from './inventory-body.ts';
import type { SwimaInventoryBody } from './inventory-body.ts';

export interface IetfSwimaSwInventory extends PaAttribute, SwimaInventoryBody {
  readonly kind: 'ietf/swima-sw-inventory';
}

export const ietfSwimaSwInventory: PaAttributeCodec<IetfSwimaSwInventory> = {
  kind: 'ietf/swima-sw-inventory',
  vendor: Pen.IETF,
  type: IetfAttr.SOFTWARE_INVENTORY,
  name: 'Software Inventory',
  encodeValue(w, a) {
    writeInventory(w, a, true);
  },
  decodeValue(r) {
    return readInventory(r, true);
  },
};
