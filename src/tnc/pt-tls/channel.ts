/**
 * The duplex message channel the PT-TLS protocol logic runs over (connection.ts), and an in-memory pair of them.
 * A channel carries whole PT-TLS messages as bytes: the TLS adapter (tls.ts) frames a TLS stream with PtTlsFramer,
 * the memory pair frames the bytes written by the other end, so both see exactly what a socket would carry.
 */
import { StateError } from '../../common/errors.ts';
import { PtTlsFramer } from './framer.ts';

export interface PtTlsChannel {
  /**
   * The next whole message, or null once the peer has closed its side cleanly. Rejects with the framing error
   * (PtTlsError, LimitError, ParseError), a TimeoutError, or a StateError when the connection broke.
   */
  read(): Promise<Uint8Array | null>;
  /** Sends one whole message. */
  write(message: Uint8Array): Promise<void>;
  /** Ends the session cleanly (for TLS: close_notify and FIN), then waits for the peer to close (bounded). */
  close(): Promise<void>;
}

/** A FIFO of received messages with one pending reader; messages queued before an error or the end come first. */
export class MessageQueue {
  #items: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #waiter: { resolve: (m: Uint8Array | null) => void; reject: (e: Error) => void } | undefined;

  get length(): number {
    return this.#items.length;
  }
  get finished(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  push(m: Uint8Array): void {
    if (this.finished) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve(m);
    } else this.#items.push(m);
  }

  /** No more messages: pending and later reads see null once the queue is drained. */
  end(): void {
    if (this.finished) return;
    this.#ended = true;
    this.#wake();
  }

  /** The stream failed: reads reject with `e` once the queue is drained. */
  fail(e: Error): void {
    if (this.finished) return;
    this.#error = e;
    this.#wake();
  }

  read(): Promise<Uint8Array | null> {
    const m = this.#items.shift();
    if (m) return Promise.resolve(m);
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    if (this.#waiter) return Promise.reject(new StateError('PT-TLS channel: concurrent reads'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #wake(): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = undefined;
    if (this.#error) w.reject(this.#error);
    else w.resolve(null);
  }
}

export interface MemoryChannelOptions {
  maxMessageSize?: number;
}

/** Two connected in-memory channels (client end, server end), for in-process sessions without TLS. */
export function memoryChannelPair(opts: MemoryChannelOptions = {}): [PtTlsChannel, PtTlsChannel] {
  const ends = [0, 1].map(() => ({
    queue: new MessageQueue(),
    framer: new PtTlsFramer({ maxMessageSize: opts.maxMessageSize }),
    closed: false,
  }));
  const make = (self: (typeof ends)[number], peer: (typeof ends)[number]): PtTlsChannel => ({
    read: () => self.queue.read(),
    async write(message) {
      if (self.closed) throw new StateError('PT-TLS channel: write after close');
      if (peer.closed) throw new StateError('PT-TLS channel: peer has closed');
      try {
        for (const m of peer.framer.push(message)) peer.queue.push(m);
      } catch (e) {
        peer.queue.fail(e as Error);
      }
    },
    async close() {
      if (self.closed) return;
      self.closed = true;
      self.queue.end();
      try {
        peer.framer.end();
        peer.queue.end();
      } catch (e) {
        peer.queue.fail(e as Error);
      }
    },
  });
  const [a, b] = ends as [(typeof ends)[number], (typeof ends)[number]];
  return [make(a, b), make(b, a)];
}
