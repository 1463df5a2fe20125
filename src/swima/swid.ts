/**
 * ISO/IEC 19770-2:2015 SWID tags for installed packages (pure: takes parsed package records). A minimal primary tag:
 *
 *   <SoftwareIdentity xmlns="http://standards.iso.org/iso/19770/-2/2015/schema.xsd" name=… tagId=… version=…
 *       versionScheme="alphanumeric"><Entity name=… regid=… role="tagCreator softwareCreator"/></SoftwareIdentity>
 *
 * tagId = `<os>-<arch>-<package>-<version>` (strongSwan's sw-collector style); the SWIMA software identifier is
 * `<regid>__<tagId>` (RFC 8412 §3.4.1: the tag creator's regid, two underscores, the tagId).
 */
import type { PackageRecord } from './packages.ts';

export const SWID_2015_NS = 'http://standards.iso.org/iso/19770/-2/2015/schema.xsd';

export interface SwidContext {
  /** Distribution and release, e.g. `Debian_12`. */
  os: string;
  /** Tag creator's registration id, e.g. `debian.org`. */
  regid: string;
  /** Tag creator's name, e.g. `Debian Project`. */
  entityName: string;
}

export interface SwidTag {
  tagId: string;
  swId: string;
  name: string;
  version: string;
  xml: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function swidTagId(ctx: SwidContext, p: PackageRecord): string {
  return `${ctx.os}-${p.arch}-${p.name}-${p.version}`.replace(/[\s/]/g, '_');
}

export function swidTag(ctx: SwidContext, p: PackageRecord): SwidTag {
  const tagId = swidTagId(ctx, p);
  const xml =
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<SoftwareIdentity xmlns="${SWID_2015_NS}" name="${esc(p.name)}" tagId="${esc(tagId)}" version="${esc(p.version)}"` +
    ` versionScheme="alphanumeric">` +
    `<Entity name="${esc(ctx.entityName)}" regid="${esc(ctx.regid)}" role="tagCreator softwareCreator"/>` +
    `</SoftwareIdentity>`;
  return { tagId, swId: `${ctx.regid}__${tagId}`, name: p.name, version: p.version, xml };
}

/** name and version of the SoftwareIdentity element of a SWID tag (undefined when it has none). */
export function parseSwidIdentity(xml: string): { name: string; version: string; tagId: string } | undefined {
  const m = /<SoftwareIdentity\b([^>]*)>/.exec(xml);
  if (!m) return undefined;
  const attr = (n: string) => {
    const a = new RegExp(`\\s${n}="([^"]*)"`).exec(m[1]!);
    return a?.[1]?.replace(
      /&(amp|lt|gt|quot|apos);/g,
      (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!,
    );
  };
  const name = attr('name');
  const tagId = attr('tagId');
  if (name === undefined || tagId === undefined) return undefined;
  return { name, version: attr('version') ?? '', tagId };
}
