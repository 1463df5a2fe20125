/**
 * PB-Remediation-Parameters (RFC 5793 §4.8), IETF type 4, NOSKIP clear, at least 20 bytes, RESULT batch only.
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
 * IETF types: 1 URI (§4.8.1), 2 String (§4.8.2: length(32), string, lang code length(8), lang code); the same
 * layout as the PA-TNC Remediation Instructions attribute.
 */
import { readRemediationParameters, writeRemediationParameters } from '../../pa/attrs/ietf/remediation-instructions.ts';
import type { RemediationParameters } from '../../pa/attrs/ietf/remediation-instructions.ts';
import { Pen } from '../../pa/constants.ts';
import { PbMessageType } from '../constants.ts';
import type { PbMessageCodec } from './codec.ts';

export interface PbRemediationParameters {
  readonly kind: 'remediation-parameters';
  parameters: RemediationParameters;
}

export const pbRemediationParameters: PbMessageCodec<PbRemediationParameters> = {
  kind: 'remediation-parameters',
  vendor: Pen.IETF,
  type: PbMessageType.REMEDIATION_PARAMETERS,
  name: 'PB-Remediation-Parameters',
  noskip: false,
  minLength: 20,
  exact: false,
  resultOnly: true,
  encodeValue(w, m) {
    writeRemediationParameters(w, m.parameters);
  },
  decodeValue(r) {
    return { parameters: readRemediationParameters(r) };
  },
};
