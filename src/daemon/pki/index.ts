/** The library behind `attestd pki`: CAs, certificates and swanctl directories for test beds. */
export { createCa, issueCert, importCa, certChain, parseSubject, KEY_TYPES } from './pki.ts';
export type { Issued, KeyType, CreateCaOptions, IssueCertOptions, Chain } from './pki.ts';
export { writeSwanctlDir } from './swanctl-dir.ts';
export type { SwanctlDirContent, SwanctlDirFiles } from './swanctl-dir.ts';
