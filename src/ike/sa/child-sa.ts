/**
 * A CHILD_SA as IKE sees it: SPIs, negotiated suite, selectors, key material until handed to the data plane.
 */
import { wipe } from '../../common/bytes.ts';
import type { Suite } from '../../crypto/types.ts';
import type { ChildConfig } from '../config.ts';
import type { TrafficSelector } from '../payloads/types.ts';

export const ChildState = {
  CREATED: 'CREATED',
  INSTALLED: 'INSTALLED',
  REKEYING: 'REKEYING',
  REKEYED: 'REKEYED',
  DELETING: 'DELETING',
  DESTROYED: 'DESTROYED',
} as const;
export type ChildStateName = (typeof ChildState)[keyof typeof ChildState];

let nextChildId = 1;

export class ChildSa {
  readonly id = nextChildId++;
  readonly config: ChildConfig;
  state: ChildStateName = ChildState.CREATED;
  spiIn = 0;
  spiOut = 0;
  suite: Suite | undefined;
  localTs: TrafficSelector[] = [];
  remoteTs: TrafficSelector[] = [];
  mode: 'tunnel' | 'transport';
  installedAt = 0;
  /** Set when this SA replaced another in a rekey. */
  rekeyOf: number | undefined;
  keys: { encrI: Uint8Array; integI: Uint8Array; encrR: Uint8Array; integR: Uint8Array } | undefined;

  constructor(config: ChildConfig) {
    this.config = config;
    this.mode = config.mode;
  }

  /** Zeroes key material once installed or dead. */
  wipeKeys(): void {
    if (!this.keys) return;
    wipe(this.keys.encrI, this.keys.integI, this.keys.encrR, this.keys.integR);
    this.keys = undefined;
  }
}
