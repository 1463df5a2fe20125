/** SWIMA (RFC 8412): attributes, SWID tag generation, package metadata parsers, collector and verifier cores. */
export * from './constants.ts';
export * from './attrs/index.ts';
export * from './deb822.ts';
export * from './packages.ts';
export * from './swid.ts';
export * from './collector.ts';
export * from './verify.ts';
