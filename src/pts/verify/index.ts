/** The PTS verifier side: pure evaluation of evidence against injected references, and the IMV-side exchange core. */
export * from './evidence.ts';
export * from './references.ts';
export * from './quote.ts';
export * from './evaluate.ts';
export * from './verifier.ts';
export * from './ima-history.ts';
