/**
 * The Linux TPM character device transport: /dev/tpmrm0 (the in-kernel resource manager, which flushes a
 * connection's transient objects and sessions when it is closed) or /dev/tpm0. One write of a whole command, one
 * read of the whole response, one command in flight.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ProtocolError } from '../../common/errors.ts';
import { HEADER_SIZE, MAX_RESPONSE, Serializer } from './transport.ts';
import type { Transport } from './transport.ts';

export const DEFAULT_TPM_DEVICE = '/dev/tpmrm0';

export class DeviceTransport implements Transport {
  readonly path: string;
  readonly #timeoutMs: number;
  readonly #serial = new Serializer();
  #fh: FileHandle | undefined;
  #broken = false;

  constructor(path = DEFAULT_TPM_DEVICE, timeoutMs = 120_000) {
    this.path = path;
    this.#timeoutMs = timeoutMs;
  }

  async #exchange(command: Uint8Array): Promise<Uint8Array> {
    if (this.#broken) throw new ProtocolError('tpm-device', 0, `${this.path} timed out earlier; reopen the transport`);
    this.#fh ??= await open(this.path, 'r+');
    await this.#fh.write(command);
    const buf = new Uint8Array(MAX_RESPONSE);
    const { bytesRead } = await this.#fh.read(buf, 0, buf.byteLength, null);
    if (bytesRead < HEADER_SIZE) throw new ProtocolError('tpm-device', 0, `short response (${bytesRead} bytes)`);
    return buf.slice(0, bytesRead);
  }

  send(command: Uint8Array): Promise<Uint8Array> {
    return this.#serial.run(
      () => this.#exchange(command),
      this.#timeoutMs,
      `${this.path} command`,
      () => {
        this.#broken = true;
      },
    );
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}
