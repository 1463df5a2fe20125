/** The PTS attester side (IMC): answers PTS requests with the TPM, the file system and the kernel's logs. */
export * from './attester.ts';
export * from './sources.ts';
export * from './cache.ts';
