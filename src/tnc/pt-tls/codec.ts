/**
 * The shape of one PT-TLS message value codec: every message type file exports one, and the registry in
 * messages.ts maps Message Type numbers (vendor 0) to them.
 */
import type { Reader, Writer } from '../../common/bytes.ts';

export interface PtTlsValueCodec<V extends { readonly kind: string }> {
  /** Message Type under vendor ID 0. */
  readonly type: number;
  readonly kind: V['kind'];
  /** Writes the Message Value (what follows the 16-byte header). */
  encode(w: Writer, v: V): void;
  /** Reads the whole Message Value (the reader spans exactly the value). */
  decode(r: Reader): V;
}
