/**
 * IETF Installed Packages (RFC 5792 §4.2.7), type 7.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Reserved             |         Package Count         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Pkg Name Len  |        Package Name (Variable Length)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version Len  |    Package Version Number (Variable Length)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { LimitError } from '../../../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';
import { readString8, writeString8 } from './string-version.ts';

export interface IetfInstalledPackages extends PaAttribute {
  readonly kind: 'ietf/installed-packages';
  packages: { name: string; version: string }[];
}

export const ietfInstalledPackages: PaAttributeCodec<IetfInstalledPackages> = {
  kind: 'ietf/installed-packages',
  vendor: Pen.IETF,
  type: IetfAttr.INSTALLED_PACKAGES,
  name: 'Installed Packages',
  encodeValue(w, a) {
    if (a.packages.length > 0xffff) throw new LimitError('installed packages', `${a.packages.length} > 65535`);
    w.u16(0).u16(a.packages.length);
    for (const p of a.packages) {
      writeString8(w, p.name);
      writeString8(w, p.version);
    }
  },
  decodeValue(r) {
    r.skip(2, 'reserved');
    const count = r.u16('count');
    const packages: { name: string; version: string }[] = [];
    for (let i = 0; i < count; i++) {
      packages.push({ name: readString8(r, `package[${i}].name`), version: readString8(r, `package[${i}].version`) });
    }
    return { packages };
  },
};
