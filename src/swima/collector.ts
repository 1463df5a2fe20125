/**
 * SWIMA collector core (IMC side), message-in/message-out: answers a SW Request with the inventory (Earliest EID 0)
 * or the events since Earliest EID, as identifiers only (R flag) or with SWID tags, restricted to the requested
 * identifiers. Pure: the inventory and history come in as parsed package records (packages.ts). Event ids number
 * the history entries from 1 in order; an upgrade is a deletion of the old version and a creation of the new.
 */
import { utf8 } from '../common/index.ts';
import type { PaAttribute } from '../tnc/pa/attribute.ts';
import { SwimaAction, SwimaDataModel, SwimaRequestFlag } from './constants.ts';
import type { PackageHistoryEntry, PackageRecord } from './packages.ts';
import { swidTag } from './swid.ts';
import type { SwidContext } from './swid.ts';
import type { SwimaRecord } from './attrs/record.ts';
import type { SwimaEvent } from './attrs/events-body.ts';
import type { SwimaRequestBody } from './attrs/sw-request.ts';

export interface SwimaCollectorOptions extends SwidContext {
  packages: readonly PackageRecord[];
  history?: readonly PackageHistoryEntry[];
  /** EID epoch (changes when the event numbering restarts). */
  eidEpoch: number;
}

export class SwimaCollector {
  readonly #o: SwimaCollectorOptions;
  readonly #events: SwimaEvent[];

  constructor(o: SwimaCollectorOptions) {
    this.#o = o;
    this.#events = [];
    let eid = 0;
    const ev = (p: PackageRecord, action: number, timestamp: string) =>
      this.#events.push({ eid: ++eid, timestamp, action, record: this.#record(p, eid) });
    for (const h of o.history ?? []) {
      const at = (version: string) => ({ name: h.name, arch: h.arch, version });
      if (h.oldVersion && (h.action === 'upgrade' || h.action === 'remove' || h.action === 'purge'))
        ev(at(h.oldVersion), SwimaAction.DELETION, h.timestamp);
      if (h.newVersion && (h.action === 'install' || h.action === 'upgrade'))
        ev(at(h.newVersion), SwimaAction.CREATION, h.timestamp);
    }
  }

  #record(p: PackageRecord, recordId: number): SwimaRecord {
    const t = swidTag(this.#o, p);
    return {
      recordId,
      dataModel: { ...SwimaDataModel.ISO_2015_SWID_XML },
      sourceId: 0,
      swId: t.swId,
      locator: '',
      record: utf8(t.xml),
    };
  }

  get lastEid(): number {
    return this.#events.length;
  }

  /** The answer to a SW Request. */
  respond(req: SwimaRequestBody): PaAttribute {
    const idsOnly = (req.flags & SwimaRequestFlag.R) !== 0;
    const wanted = req.targets.length ? new Set(req.targets) : undefined;
    const strip = (r: SwimaRecord): SwimaRecord => {
      if (!idsOnly) return r;
      const { record: _drop, ...rest } = r;
      return rest;
    };
    const head = { flags: 0, requestId: req.requestId, eidEpoch: this.#o.eidEpoch, lastEid: this.lastEid };
    if (req.earliestEid === 0) {
      const records = this.#o.packages
        .map((p, i) => this.#record(p, i + 1))
        .filter((r) => !wanted || wanted.has(r.swId))
        .map(strip);
      return {
        kind: idsOnly ? 'ietf/swima-sw-id-inventory' : 'ietf/swima-sw-inventory',
        noskip: false,
        ...head,
        records,
      } as PaAttribute;
    }
    const events = this.#events
      .filter((e) => e.eid >= req.earliestEid && (!wanted || wanted.has(e.record.swId)))
      .map((e) => ({ ...e, record: strip(e.record) }));
    return {
      kind: idsOnly ? 'ietf/swima-sw-id-events' : 'ietf/swima-sw-events',
      noskip: false,
      ...head,
      lastConsultedEid: this.lastEid,
      events,
    } as PaAttribute;
  }
}
