/** swanctl.conf configuration: the settings syntax, the typed subset attestd supports, and swanctl credentials. */
export { parseSettings, loadSettings, formatSettings, getSection, getValue, formatPos } from './settings.ts';
export type { SettingsSection, SourcePos, ParseSettingsOptions } from './settings.ts';
export { parseSwanctl, readSwanctl, swanctlFromSettings, parseAuth } from './swanctl.ts';
export { loadSwanctl, loadCredentials, parseCertificate, parsePrivateKey } from './credentials.ts';
export type { Credentials, PrivateKeyEntry, LoadedSwanctl } from './credentials.ts';
export {
  parseTime,
  parseBytes,
  parseBool,
  parseUint,
  parseList,
  parseTrafficSelector,
  decodeSecret,
} from './values.ts';
export type { TrafficSelectorSpec } from './values.ts';
export type * from './types.ts';
