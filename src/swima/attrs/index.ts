/** SWIMA attribute codecs (RFC 8412) and the PA-TNC registry that knows them. */
import type { PaAttribute, PaAttributeCodec } from '../../tnc/pa/attribute.ts';
import { defaultPaRegistry } from '../../tnc/pa/registry.ts';
import { ietfSwimaRequest } from './sw-request.ts';
import { ietfSwimaSwIdInventory } from './sw-identifier-inventory.ts';
import { ietfSwimaSwIdEvents } from './sw-identifier-events.ts';
import { ietfSwimaSwInventory } from './sw-inventory.ts';
import { ietfSwimaSwEvents } from './sw-events.ts';
import { ietfSwimaSubscriptionStatusRequest } from './subscription-status-request.ts';
import { ietfSwimaSubscriptionStatusResponse } from './subscription-status-response.ts';

export * from './pa-tnc-error-info.ts';
export * from './record.ts';
export * from './inventory-body.ts';
export * from './events-body.ts';
export * from './sw-request.ts';
export * from './sw-identifier-inventory.ts';
export * from './sw-identifier-events.ts';
export * from './sw-inventory.ts';
export * from './sw-events.ts';
export * from './subscription-status-request.ts';
export * from './subscription-status-response.ts';

export const swimaAttributeCodecs: readonly PaAttributeCodec<PaAttribute>[] = [
  ietfSwimaRequest,
  ietfSwimaSwIdInventory,
  ietfSwimaSwIdEvents,
  ietfSwimaSwInventory,
  ietfSwimaSwEvents,
  ietfSwimaSubscriptionStatusRequest,
  ietfSwimaSubscriptionStatusResponse,
];

export const swimaPaRegistry = defaultPaRegistry.with(...swimaAttributeCodecs);
