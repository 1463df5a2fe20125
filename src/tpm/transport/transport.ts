/**
 * The transport contract of the TPM client: `send(command) → response`, one command in flight, with a timeout.
 * Implementations: the swtpm TCP protocol (swtpm.ts) and the Linux resource-managed character device (device.ts).
 */
import { TimeoutError } from '../../common/errors.ts';

export interface Transport {
  /** Sends one complete command and resolves with the complete response. */
  send(command: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** TPM command/response header: tag u16 ‖ size u32 ‖ code u32 (Part 1 §18.2). */
export const HEADER_SIZE = 10;
/** Larger than any response a TPM sends (MAX_RESPONSE_SIZE is 4096 on common TPMs). */
export const MAX_RESPONSE = 65536;

/**
 * Serializes calls so that exactly one command is in flight, whatever the caller does; each call may time out.
 * On a timeout, `onTimeout` runs (the transport drops its connection so that a late answer cannot be taken for
 * the next command's).
 */
export class Serializer {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>, timeoutMs: number, what: string, onTimeout: () => void): Promise<T> {
    const next = this.#tail.then(
      () => withTimeout(fn(), timeoutMs, what, onTimeout),
      () => withTimeout(fn(), timeoutMs, what, onTimeout),
    );
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      reject(new TimeoutError(`${what}: no answer within ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
