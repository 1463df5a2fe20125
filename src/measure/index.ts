/**
 * The pure part of src/measure, safe for the verifier side: hash names and PCR extend, IMA list and firmware event
 * log codecs, PCR replay, manifests, and the log builders. File-system measurement (tree*.ts), log collection
 * (collect*.ts) and the `measure` command (cli.ts) are imported by their own paths, never from here.
 */
export * from './hash.ts';
export * from './ima.ts';
export * from './ima-builder.ts';
export * from './eventlog.ts';
export * from './eventlog-builder.ts';
export * from './replay.ts';
export * from './manifest.ts';
