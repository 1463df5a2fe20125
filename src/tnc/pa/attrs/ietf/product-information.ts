/**
 * IETF Product Information (RFC 5792 §4.2.2), type 2.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Product Vendor ID               |  Product ID   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Product ID   |         Product Name (Variable Length)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A product vendor id of 0 requires product id 0 (§4.2.2). The name is UTF-8.
 */
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export interface IetfProductInformation extends PaAttribute {
  readonly kind: 'ietf/product-information';
  productVendor: number;
  productId: number;
  productName: string;
}

export const ietfProductInformation: PaAttributeCodec<IetfProductInformation> = {
  kind: 'ietf/product-information',
  vendor: Pen.IETF,
  type: IetfAttr.PRODUCT_INFORMATION,
  name: 'Product Information',
  encodeValue(w, a) {
    w.u24(a.productVendor).u16(a.productId).utf8(a.productName);
  },
  decodeValue(r) {
    const productVendor = r.u24('productVendor');
    const at = r.offset;
    const productId = r.u16('productId');
    if (productVendor === 0 && productId !== 0) r.fail('productId', 'must be 0 when the vendor id is 0', at);
    return { productVendor, productId, productName: r.utf8(r.remaining, 'productName') };
  },
};
