export interface TunOpened {
  fd: number;
  name: string;
}
export interface TunReader {
  readonly __brand: 'TunReader';
}
/** Opens /dev/net/tun (non-blocking) and attaches it to interface `name` with IFF_TUN | IFF_NO_PI. */
export function open(name: string): TunOpened;
/**
 * Starts a thread that polls `fd` and delivers packets in batches: `onBatch(data, lengths)` with the packets
 * back to back in `data`. `maxPacket` bounds one read (MTU plus headroom).
 */
export function startReader(
  fd: number,
  maxPacket: number,
  onBatch: (data: Buffer, lengths: Uint32Array) => void,
): TunReader;
/** Stops and joins the reader thread. Idempotent. */
export function stopReader(reader: TunReader): void;
/** Writes each packet with one write(2); returns how many were written (stops at the first error). */
export function writeBatch(fd: number, data: Uint8Array, lengths: Uint32Array): number;
