/**
 * IETF SWIMA Software Identifier Inventory (RFC 8412 §5.8), PA-TNC attribute type 14: the layout of inventory-body.ts, records without the record itself.
 */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { IetfAttr, Pen } from '../../tnc/pa/constants.ts';
import { readInventory, writeInventory } from './inventory-body.ts';
import type { SwimaInventoryBody } from './inventory-body.ts';

export interface IetfSwimaSwIdInventory extends PaAttribute, SwimaInventoryBody {
  readonly kind: 'ietf/swima-sw-id-inventory';
}

export const ietfSwimaSwIdInventory: PaAttributeCodec<IetfSwimaSwIdInventory> = {
  kind: 'ietf/swima-sw-id-inventory',
  vendor: Pen.IETF,
  type: IetfAttr.SOFTWARE_IDENTIFIER_INVENTORY,
  name: 'Software Identifier Inventory',
  encodeValue(w, a) {
    writeInventory(w, a, false);
  },
  decodeValue(r) {
    return readInventory(r, false);
  },
};
