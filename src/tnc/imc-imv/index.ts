/** The IMC/IMV API and the TNC client/server hosts (IF-IMC 1.3 / IF-IMV 1.4 in TypeScript terms). */
export * from './api.ts';
export * from './policy.ts';
export type { HostOptions } from './host.ts';
export { subscribes } from './host.ts';
export * from './client.ts';
export * from './server.ts';
export * from './pb-tnc.ts';
export * from './loader.ts';
export * from './options.ts';
