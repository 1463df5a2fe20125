/** TCG PTS over IF-M: constants, attributes (with the PTS PA-TNC registry), components, D-H nonce, verifier. The
 * attester (device I/O) is imported from src/pts/attester/index.ts so verifier-side code never pulls it in. */
export * from './constants.ts';
export * from './components.ts';
export * from './dh-nonce.ts';
export * from './attrs/index.ts';
export * from './verify/index.ts';
