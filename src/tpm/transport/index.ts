/** TPM transports: the I/O edge of the client. */
export type { Transport } from './transport.ts';
export { Serializer, withTimeout } from './transport.ts';
export { SwtpmTransport, SwtpmCtrl, defaultCtrlPath } from './swtpm.ts';
export type { SwtpmLinkOptions, SwtpmOptions } from './swtpm.ts';
export { DeviceTransport, DEFAULT_TPM_DEVICE } from './device.ts';
export { openTransport } from './open.ts';
