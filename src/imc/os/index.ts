/**
 * The OS collector (PA subtype IETF Operating System, RFC 5792), behaving like strongSwan's imc-os where cheap: it
 * answers an IETF Attribute Request with the attributes asked for — Product Information, String and Numeric
 * Version, Installed Packages, Forwarding Enabled, Factory Default Password Enabled, Port Filter — exclusively to
 * the requesting IMV. Types it does not know are skipped (as strongSwan does). With `pushInfo` it also sends the
 * basic information unprompted at each handshake (strongSwan's imc-os.push_info).
 *
 * Configuration: pushInfo (boolean, default false), packagesFile, defaultPassword (boolean or file), root,
 * refreshMs, productName; or an injected OsInfoSource (`createOsImc`).
 */
import { ConfigError } from '../../common/index.ts';
import { IetfAttr, IetfPaSubtype, Pen, isAttr, ietfAttributeRequest } from '../../tnc/pa/index.ts';
import type {
  IetfFactoryDefaultPasswordEnabled,
  IetfForwardingEnabled,
  IetfInstalledPackages,
  IetfNumericVersion,
  IetfPortFilter,
  IetfProductInformation,
  IetfStringVersion,
  PaAttribute,
} from '../../tnc/pa/index.ts';
import type { ImcConnection, ImcModule, IncomingPa, OutgoingPa } from '../../tnc/imc-imv/index.ts';
import { systemOsInfo } from './os-info.ts';
import type { OsInfo, OsInfoSource, SystemOsInfoOptions } from './os-info.ts';

export * from './os-info.ts';

export const IETF_OS = { vendor: Pen.IETF, subtype: IetfPaSubtype.OPERATING_SYSTEM } as const;

/** The attributes of the basic information push (strongSwan's imc-os sends these at handshake start). */
export const BASIC_ATTRIBUTES: readonly number[] = [
  IetfAttr.PRODUCT_INFORMATION,
  IetfAttr.STRING_VERSION,
  IetfAttr.NUMERIC_VERSION,
  IetfAttr.FORWARDING_ENABLED,
  IetfAttr.FACTORY_DEFAULT_PASSWORD_ENABLED,
];

const as = <T extends PaAttribute>(a: T): PaAttribute => a;

/** The IETF attribute of `type` built from `info`, or undefined when the collector does not provide it. */
export function osAttribute(type: number, info: OsInfo): PaAttribute | undefined {
  switch (type) {
    case IetfAttr.PRODUCT_INFORMATION:
      return as<IetfProductInformation>({
        kind: 'ietf/product-information',
        productVendor: info.product.vendor,
        productId: info.product.vendor === 0 ? 0 : info.product.id,
        productName: info.product.name,
      });
    case IetfAttr.STRING_VERSION:
      return as<IetfStringVersion>({ kind: 'ietf/string-version', ...info.version });
    case IetfAttr.NUMERIC_VERSION:
      return as<IetfNumericVersion>({ kind: 'ietf/numeric-version', ...info.numeric });
    case IetfAttr.INSTALLED_PACKAGES:
      return as<IetfInstalledPackages>({ kind: 'ietf/installed-packages', packages: info.packages });
    case IetfAttr.FORWARDING_ENABLED:
      return as<IetfForwardingEnabled>({ kind: 'ietf/forwarding-enabled', status: info.forwarding });
    case IetfAttr.FACTORY_DEFAULT_PASSWORD_ENABLED:
      return as<IetfFactoryDefaultPasswordEnabled>({
        kind: 'ietf/factory-default-password-enabled',
        enabled: info.defaultPasswordEnabled,
      });
    case IetfAttr.PORT_FILTER:
      return as<IetfPortFilter>({ kind: 'ietf/port-filter', entries: info.ports });
    default:
      return undefined;
  }
}

export interface OsImcOptions {
  source: OsInfoSource;
  pushInfo?: boolean;
}

export function createOsImc(opts: OsImcOptions): ImcModule {
  return {
    name: 'os',
    subscriptions: [IETF_OS],
    connect(): ImcConnection {
      const build = (types: readonly number[], to?: number): OutgoingPa[] => {
        const info = opts.source.collect();
        const attributes = types.flatMap((t) => osAttribute(t, info) ?? []);
        if (attributes.length === 0) return [];
        return [{ ...IETF_OS, attributes, ...(to !== undefined ? { to } : {}) }];
      };
      return {
        beginHandshake: () => (opts.pushInfo ? build(BASIC_ATTRIBUTES) : []),
        receive(msg: IncomingPa) {
          const types: number[] = [];
          for (const a of msg.attributes) {
            if (!isAttr(ietfAttributeRequest, a)) continue;
            for (const r of a.requests) if (r.vendor === Pen.IETF && !types.includes(r.type)) types.push(r.type);
          }
          return types.length ? build(types, msg.sourceId) : [];
        },
      };
    },
  };
}

/** Module entry point (built-in name `os`). */
export function createImc(raw: Record<string, unknown>): ImcModule {
  const o: SystemOsInfoOptions = {};
  for (const k of ['root', 'packagesFile', 'productName'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new ConfigError(`imc os: ${k} must be a string`);
    o[k] = v;
  }
  if (raw.defaultPassword !== undefined) {
    if (typeof raw.defaultPassword !== 'boolean' && typeof raw.defaultPassword !== 'string')
      throw new ConfigError('imc os: defaultPassword must be a boolean or a file path');
    o.defaultPassword = raw.defaultPassword;
  }
  if (raw.refreshMs !== undefined) {
    if (typeof raw.refreshMs !== 'number') throw new ConfigError('imc os: refreshMs must be a number');
    o.refreshMs = raw.refreshMs;
  }
  return createOsImc({ source: systemOsInfo(o), pushInfo: raw.pushInfo === true });
}
