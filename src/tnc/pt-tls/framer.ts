/**
 * Stream framer for PT-TLS over TLS (RFC 6876 §3.5): accumulates TLS plaintext in whatever chunks it arrives and
 * yields whole messages, using the Message Length of each header. Lengths are checked as soon as the header is
 * complete, before any body is buffered: below 16 → PtTlsError Invalid Parameter; above the configured maximum →
 * LimitError whose cause is the PtTlsError to answer with. After an error the framer stays failed.
 */
import { LimitError, ParseError } from '../../common/errors.ts';
import { PT_TLS_DEFAULT_MAX_MESSAGE_SIZE, PT_TLS_HEADER_LENGTH, PtTlsErrorCode } from './constants.ts';
import { PtTlsError } from './errors.ts';
import { decodePtTlsHeader } from './header.ts';

export interface PtTlsFramerOptions {
  /** Largest whole message accepted, header included (default 2 MiB, like strongSwan). */
  maxMessageSize?: number;
}

export class PtTlsFramer {
  readonly maxMessageSize: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Length of the message in progress once its header is complete. */
  #need = 0;
  #failed: Error | undefined;

  constructor(opts: PtTlsFramerOptions = {}) {
    this.maxMessageSize = opts.maxMessageSize ?? PT_TLS_DEFAULT_MAX_MESSAGE_SIZE;
    if (!Number.isInteger(this.maxMessageSize) || this.maxMessageSize < PT_TLS_HEADER_LENGTH) {
      throw new LimitError('pt-tls.maxMessageSize', `must be an integer >= ${PT_TLS_HEADER_LENGTH}`);
    }
  }

  /** Bytes held that do not yet form a whole message. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds a chunk of the stream; returns the messages it completes (copies, each exactly one message). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw this.#failed;
    if (chunk.byteLength) {
      this.#chunks.push(chunk.slice());
      this.#buffered += chunk.byteLength;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.#need === 0) {
        if (this.#buffered < PT_TLS_HEADER_LENGTH) break;
        const head = this.#peek(PT_TLS_HEADER_LENGTH);
        try {
          const h = decodePtTlsHeader(head, 'pt-tls.stream');
          if (h.length > this.maxMessageSize) {
            throw new LimitError(
              'pt-tls.maxMessageSize',
              `message of ${h.length} bytes exceeds ${this.maxMessageSize}`,
              {
                cause: new PtTlsError(PtTlsErrorCode.INVALID_PARAMETER, `message length ${h.length} too large`, head),
              },
            );
          }
          this.#need = h.length;
        } catch (e) {
          this.#failed = e as Error;
          this.#chunks = [];
          this.#buffered = 0;
          throw e;
        }
      }
      if (this.#buffered < this.#need) break;
      out.push(this.#take(this.#need));
      this.#need = 0;
    }
    return out;
  }

  /** Called at end of stream: a partial message left over is a truncated stream. */
  end(): void {
    if (this.#failed) return;
    if (this.#buffered > 0) {
      this.#failed = new ParseError(`stream ended inside a message (${this.#buffered} bytes left)`, 0, 'pt-tls.stream');
      throw this.#failed;
    }
  }

  #peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.#chunks) {
      if (o >= n) break;
      const take = Math.min(c.byteLength, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
    }
    return out;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.#chunks[0] as Uint8Array;
      const take = Math.min(c.byteLength, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (take === c.byteLength) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    this.#buffered -= n;
    return out;
  }
}
