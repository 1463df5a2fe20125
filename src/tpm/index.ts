/**
 * The TPM 2.0 client: public API. Transports (I/O) are imported from src/tpm/transport/index.ts, so that
 * verifier-side code importing this module never pulls them in.
 */
export * from './marshal.ts';
export * from './rc.ts';
export * from './command.ts';
export * as commands from './commands.ts';
export * from './client.ts';
export * from './templates.ts';
export * from './keys.ts';
export * from './kdf.ts';
export * from './policy.ts';
export * from './credential.ts';
export * from './ek.ts';
export * from './aik.ts';
export * from './verify-quote.ts';
export * from './privacy-ca.ts';
export * as cli from './cli.ts';
export * from './types/constants.ts';
export * from './types/basic.ts';
export * from './types/public.ts';
export * from './types/attest.ts';
export * from './types/signature.ts';
export * from './types/capability.ts';
export * from './types/nv.ts';
export * from './types/context.ts';
