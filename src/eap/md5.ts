/**
 * EAP-MD5-Challenge (RFC 3748 §5.4, with the CHAP computation of RFC 1994 §4.1), type 4.
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Value-Size   |  Value ...                  |  Name ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Request Value = the challenge; Response Value = MD5(Identifier ‖ secret ‖ challenge), 16 bytes. EAP-MD5 derives
 * no MSK (IKE then keys its AUTH with SK_pi/SK_pr, RFC 7296 §2.16). It is here for interoperability checks only: it
 * offers no protection against dictionary attacks outside a tunnel.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Reader, Writer, concat } from '../common/bytes.ts';
import { ConfigError } from '../common/errors.ts';
import type { Rng } from '../common/rng.ts';
import { EapType } from './method.ts';
import type { PeerMethod, ServerMethod, ServerStep } from './method.ts';

export interface Md5Challenge {
  value: Uint8Array;
  name: Uint8Array;
}

export function encodeMd5(c: Md5Challenge): Uint8Array {
  const w = new Writer(1 + c.value.byteLength + c.name.byteLength);
  w.lengthPrefixed(1, () => w.bytes(c.value)).bytes(c.name);
  return w.finish();
}

export function decodeMd5(data: Uint8Array): Md5Challenge {
  const r = new Reader(data, 'eap.md5');
  const size = r.u8('valueSize');
  if (size === 0) r.fail('valueSize', 'empty value', 0);
  const value = r.copy(size, 'value');
  return { value, name: r.rest('name').slice() };
}

export function md5Response(identifier: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('md5')
      .update(concat(Uint8Array.of(identifier), secret, challenge))
      .digest(),
  );
}

export class Md5Peer implements PeerMethod {
  readonly type = EapType.MD5;
  readonly #secret: () => Uint8Array | undefined;
  readonly #name: Uint8Array;
  constructor(opts: { secret: () => Uint8Array | undefined; name: string }) {
    this.#secret = opts.secret;
    this.#name = new TextEncoder().encode(opts.name);
  }
  process(data: Uint8Array, identifier: number): Promise<Uint8Array> {
    const c = decodeMd5(data);
    const secret = this.#secret();
    if (!secret) return Promise.reject(new ConfigError('EAP-MD5: no secret for our EAP identity'));
    return Promise.resolve(encodeMd5({ value: md5Response(identifier, secret, c.value), name: this.#name }));
  }
  msk(): undefined {
    return undefined;
  }
}

export class Md5Server implements ServerMethod {
  readonly type = EapType.MD5;
  readonly #secret: Uint8Array | undefined;
  readonly #rng: Rng;
  #challenge: Uint8Array | undefined;

  constructor(opts: { secret: Uint8Array | undefined; rng: Rng }) {
    this.#secret = opts.secret;
    this.#rng = opts.rng;
  }
  start(): Promise<Uint8Array> {
    this.#challenge = this.#rng(16);
    return Promise.resolve(encodeMd5({ value: this.#challenge, name: new Uint8Array(0) }));
  }
  process(data: Uint8Array, identifier: number): Promise<ServerStep> {
    const r = decodeMd5(data);
    if (!this.#secret)
      return Promise.resolve({ outcome: 'failure', reason: 'no EAP-MD5 secret for the peer identity' });
    const want = md5Response(identifier, this.#secret, this.#challenge ?? new Uint8Array(0));
    const ok = r.value.byteLength === want.byteLength && timingSafeEqual(r.value, want);
    return Promise.resolve(
      ok ? { outcome: 'success' } : { outcome: 'failure', reason: 'EAP-MD5 response does not verify' },
    );
  }
  msk(): undefined {
    return undefined;
  }
}
