export * from './bytes.ts';
export * from './errors.ts';
export * from './log.ts';
export * from './diag.ts';
export * from './clock.ts';
export * from './rng.ts';
export * from './names.ts';
export * from './ip.ts';
