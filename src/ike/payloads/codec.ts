/**
 * The shape shared by every payload codec of this folder: encode and decode of the payload BODY, i.e. what follows
 * the 4-byte generic payload header of RFC 7296 §3.2. The generic header and the chaining live in `chain.ts`.
 */
import type { Reader, Writer } from '../../common/bytes.ts';
import type { Payload } from './types.ts';

export interface PayloadCodec<P extends Payload = Payload> {
  /** Spec name, for logs. */
  readonly name: string;
  /** Writes the body of `p`. */
  encode(p: P, w: Writer): void;
  /** Reads the body from `r` (a reader over exactly the body) and must consume all of it. */
  decode(r: Reader, type: number): P;
}

/** Widens a typed codec for the registry (the registry dispatches on the type byte, so the cast is sound). */
export function erase<P extends Payload>(c: PayloadCodec<P>): PayloadCodec {
  return c as unknown as PayloadCodec;
}
