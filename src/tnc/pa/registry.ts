/**
 * The default PA-TNC attribute registry: every IETF, ITA-HSR and TCG segmentation attribute this folder defines.
 * Other layers (TCG PTS, SWIMA) extend it with `defaultPaRegistry.with(...)`.
 */
import { PaAttributeRegistry } from './attribute.ts';
import type { PaAttribute, PaAttributeCodec } from './attribute.ts';
import { ietfAssessmentResult } from './attrs/ietf/assessment-result.ts';
import { ietfAttributeRequest } from './attrs/ietf/attribute-request.ts';
import { ietfFactoryDefaultPasswordEnabled } from './attrs/ietf/factory-default-password-enabled.ts';
import { ietfForwardingEnabled } from './attrs/ietf/forwarding-enabled.ts';
import { ietfInstalledPackages } from './attrs/ietf/installed-packages.ts';
import { ietfNumericVersion } from './attrs/ietf/numeric-version.ts';
import { ietfOperationalStatus } from './attrs/ietf/operational-status.ts';
import { ietfPaTncError } from './attrs/ietf/pa-tnc-error.ts';
import { ietfPortFilter } from './attrs/ietf/port-filter.ts';
import { ietfProductInformation } from './attrs/ietf/product-information.ts';
import { ietfRemediationInstructions } from './attrs/ietf/remediation-instructions.ts';
import { ietfStringVersion } from './attrs/ietf/string-version.ts';
import { itaCommand } from './attrs/ita/command.ts';
import { itaDeviceId } from './attrs/ita/device-id.ts';
import { itaDummy } from './attrs/ita/dummy.ts';
import { itaGetSettings } from './attrs/ita/get-settings.ts';
import { itaGetSymlinks } from './attrs/ita/get-symlinks.ts';
import { itaSettings } from './attrs/ita/settings.ts';
import { itaSymlinks } from './attrs/ita/symlinks.ts';
import { tcgCancel } from './seg/cancel.ts';
import { tcgMaxAttributeSizeRequest, tcgMaxAttributeSizeResponse } from './seg/max-attribute-size.ts';
import { tcgNextSegment } from './seg/next-segment.ts';
import { tcgSegmentationEnvelope } from './seg/segmentation-envelope.ts';

/** All attribute codecs of this folder, in (vendor, type) order. */
export const paAttributeCodecs: readonly PaAttributeCodec<PaAttribute>[] = [
  ietfAttributeRequest,
  ietfProductInformation,
  ietfNumericVersion,
  ietfStringVersion,
  ietfOperationalStatus,
  ietfPortFilter,
  ietfInstalledPackages,
  ietfPaTncError,
  ietfAssessmentResult,
  ietfRemediationInstructions,
  ietfForwardingEnabled,
  ietfFactoryDefaultPasswordEnabled,
  tcgMaxAttributeSizeRequest,
  tcgMaxAttributeSizeResponse,
  tcgSegmentationEnvelope,
  tcgNextSegment,
  tcgCancel,
  itaCommand,
  itaDummy,
  itaGetSettings,
  itaSettings,
  itaDeviceId,
  itaGetSymlinks,
  itaSymlinks,
];

export const defaultPaRegistry = new PaAttributeRegistry(paAttributeCodecs);
