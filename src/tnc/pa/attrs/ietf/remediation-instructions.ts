/**
 * IETF Remediation Instructions (RFC 5792 §4.2.10), type 10.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Reserved   |       Remediation Parameters Vendor ID        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Remediation Parameters Type                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Remediation Parameters (Variable Length)           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IETF parameter types: 1 URI (§4.2.10.1, the URI bytes); 2 String (§4.2.10.2: length(32), UTF-8 string,
 * lang code length(8), lang code). The same layout is PB-Remediation-Parameters (RFC 5793 §4.8), which reuses
 * `readRemediationParameters` / `writeRemediationParameters`.
 */
import type { Reader, Writer } from '../../../../common/index.ts';
import type { PaAttribute, PaAttributeCodec } from '../../attribute.ts';
import { IetfAttr, Pen } from '../../constants.ts';

export const RemediationParametersType = { URI: 1, STRING: 2 } as const;

export type RemediationParameters =
  | { form: 'uri'; uri: string }
  | { form: 'string'; text: string; lang: string }
  | { form: 'raw'; vendor: number; type: number; data: Uint8Array };

export function writeRemediationParameters(w: Writer, p: RemediationParameters): void {
  switch (p.form) {
    case 'uri':
      w.u8(0).u24(Pen.IETF).u32(RemediationParametersType.URI).utf8(p.uri);
      return;
    case 'string':
      w.u8(0).u24(Pen.IETF).u32(RemediationParametersType.STRING);
      w.lengthPrefixed(4, (x) => x.utf8(p.text));
      w.lengthPrefixed(1, (x) => x.utf8(p.lang));
      return;
    case 'raw':
      w.u8(0).u24(p.vendor).u32(p.type).bytes(p.data);
      return;
  }
}

export function readRemediationParameters(r: Reader): RemediationParameters {
  r.skip(1, 'reserved');
  const vendor = r.u24('parametersVendor');
  const type = r.u32('parametersType');
  if (vendor === Pen.IETF && type === RemediationParametersType.URI) {
    return { form: 'uri', uri: r.utf8(r.remaining, 'uri') };
  }
  if (vendor === Pen.IETF && type === RemediationParametersType.STRING) {
    const n = r.u32('string.length');
    const text = r.utf8(n, 'string');
    const lang = r.utf8(r.u8('lang.length'), 'lang');
    return { form: 'string', text, lang };
  }
  return { form: 'raw', vendor, type, data: r.copy(r.remaining, 'parameters') };
}

export interface IetfRemediationInstructions extends PaAttribute {
  readonly kind: 'ietf/remediation-instructions';
  parameters: RemediationParameters;
}

export const ietfRemediationInstructions: PaAttributeCodec<IetfRemediationInstructions> = {
  kind: 'ietf/remediation-instructions',
  vendor: Pen.IETF,
  type: IetfAttr.REMEDIATION_INSTRUCTIONS,
  name: 'Remediation Instructions',
  encodeValue(w, a) {
    writeRemediationParameters(w, a.parameters);
  },
  decodeValue(r) {
    return { parameters: readRemediationParameters(r) };
  },
};
