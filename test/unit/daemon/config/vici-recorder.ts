/**
 * A stand-in for charon's VICI socket that records what swanctl sends and answers every command with success, so
 * swanctl's own reading of a swanctl.conf (settings, list splitting, certificate and key files, secrets) can serve as
 * a test oracle without running charon. Wire format from strongSwan's vici plugin (vici_socket.c, vici_dispatcher.h,
 * vici_message.h):
 *
 *   packet  = u32 length, u8 type, body          type: 0 CMD_REQUEST, 1 CMD_RESPONSE, 3 EVENT_REGISTER,
 *   request = u8 name length, name, message            4 EVENT_UNREGISTER, 5 EVENT_CONFIRM
 *   message = elements: 1 SECTION_START u8-name | 2 SECTION_END | 3 KEY_VALUE u8-name u16-value |
 *             4 LIST_START u8-name | 5 LIST_ITEM u16-value | 6 LIST_END
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Reader, Writer } from '../../../../src/common/bytes.ts';

export type ViciValue = Uint8Array | Uint8Array[] | ViciSection;
/** Entries in message order: key/value → bytes, list → items, section → nested. */
export type ViciSection = [string, ViciValue][];

export interface ViciRequest {
  command: string;
  message: ViciSection;
}

const td = new TextDecoder();

export function decodeMessage(body: Uint8Array): ViciSection {
  const r = new Reader(body, 'vici');
  const root: ViciSection = [];
  const stack: ViciSection[] = [root];
  let list: Uint8Array[] | undefined;
  const name = () => td.decode(r.bytes(r.u8('name.length'), 'name'));
  while (!r.done) {
    const top = stack[stack.length - 1]!;
    const type = r.u8('type');
    switch (type) {
      case 1: {
        const s: ViciSection = [];
        top.push([name(), s]);
        stack.push(s);
        break;
      }
      case 2:
        stack.pop();
        break;
      case 3: {
        const n = name();
        top.push([n, r.copy(r.u16('value.length'), 'value')]);
        break;
      }
      case 4:
        list = [];
        top.push([name(), list]);
        break;
      case 5:
        list!.push(r.copy(r.u16('item.length'), 'item'));
        break;
      case 6:
        list = undefined;
        break;
      default:
        r.fail('type', `unknown element ${type}`);
    }
  }
  return root;
}

function packet(type: number, fill: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  w.lengthPrefixed(4, (p) => {
    p.u8(type);
    fill(p);
  });
  return w.finish();
}

const success = packet(1, (w) => {
  w.u8(3).u8(7).utf8('success').u16(3).utf8('yes');
});

export interface ViciRecorder {
  uri: string;
  requests: ViciRequest[];
  close(): Promise<void>;
}

/** Listens on a UNIX socket at `path`; swanctl connects with `--uri unix://<path>`. */
export async function viciRecorder(path: string): Promise<ViciRecorder> {
  const requests: ViciRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf: Uint8Array = new Uint8Array(0);
    sock.on('data', (chunk: Buffer) => {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
      for (;;) {
        const r = new Reader(buf, 'vici.packet');
        if (r.remaining < 4) return;
        const len = r.u32('length');
        if (r.remaining < len) return;
        const p = r.sub(len, 'body');
        buf = r.rest();
        const type = p.u8('type');
        const name = td.decode(p.bytes(p.u8('name.length'), 'name'));
        if (type === 0) {
          requests.push({ command: name, message: decodeMessage(p.rest()) });
          sock.write(success);
        } else if (type === 3 || type === 4) sock.write(packet(5, () => {}));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    uri: `unix://${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
