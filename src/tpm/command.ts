/**
 * Commands as values and the one function that executes them (TPM 2.0 Part 1, Rev 1.59, §18; Part 3 §5).
 *
 * Command (Part 1 §18.2):
 *   TPMI_ST_COMMAND_TAG tag          TPM_ST_NO_SESSIONS (0x8001) or TPM_ST_SESSIONS (0x8002)
 *   UINT32              commandSize  of the whole command
 *   TPM_CC              commandCode
 *   TPM_HANDLE          handles[]    the command's handle area
 *   UINT32              authSize     only with TPM_ST_SESSIONS: size of the TPMS_AUTH_COMMANDs that follow
 *   TPMS_AUTH_COMMAND   auths[]
 *   …                   parameters
 * Response (Part 1 §18.8):
 *   TPM_ST tag ‖ UINT32 responseSize ‖ TPM_RC responseCode ‖ [TPM_HANDLE handle] ‖
 *   [UINT32 parameterSize (with sessions)] ‖ parameters ‖ [TPMS_AUTH_RESPONSE auths[]]
 */
import { Reader, Writer } from '../common/bytes.ts';
import { ParseError } from '../common/errors.ts';
import type { Desc } from './marshal.ts';
import { TPMS_AUTH_COMMAND, TPMS_AUTH_RESPONSE } from './types/basic.ts';
import type { TPMS_AUTH_COMMAND as AuthCommand, TPMS_AUTH_RESPONSE as AuthResponse } from './types/basic.ts';
import { TPM_ST } from './types/constants.ts';
import { TPM_RC_SUCCESS, TpmError } from './rc.ts';

/** A TPM command as a value: code, handle area, request and response descriptors, and how many auths it needs. */
export interface Command<Req, Rsp> {
  /** TPM2_xxx name, for errors and logs. */
  readonly name: string;
  readonly code: number;
  /** Names of the handles in the handle area, in order. */
  readonly handles: readonly string[];
  /** How many of the first handles need an authorization (Part 3 "Auth Index"). */
  readonly auths: number;
  readonly request: Desc<Req>;
  /** Whether the response carries one handle before its parameters. */
  readonly responseHandle: boolean;
  readonly response: Desc<Rsp>;
}

/** The transport contract: send one command, receive its response. */
export type Send = (command: Uint8Array) => Promise<Uint8Array>;

export interface CommandArgs<Req> {
  handles?: readonly number[];
  params: Req;
  /** One authorization per authorized handle, in handle order. */
  auths?: readonly AuthCommand[];
}

export interface CommandResult<Rsp> {
  /** The response handle, for commands that return one (else 0). */
  handle: number;
  params: Rsp;
  auths: AuthResponse[];
  /** The raw response parameter area (for cpHash/rpHash or debugging). */
  rawParams: Uint8Array;
}

/** Builds the command bytes. */
export function encodeCommand<Req>(cmd: Command<Req, unknown>, args: CommandArgs<Req>): Uint8Array {
  const handles = args.handles ?? [];
  const auths = args.auths ?? [];
  if (handles.length !== cmd.handles.length) {
    throw new ParseError(`needs ${cmd.handles.length} handles, got ${handles.length}`, 0, `${cmd.name}.handles`);
  }
  if (auths.length !== cmd.auths) {
    throw new ParseError(`needs ${cmd.auths} authorizations, got ${auths.length}`, 0, `${cmd.name}.auths`);
  }
  const w = new Writer(64);
  w.u16(auths.length ? TPM_ST.SESSIONS : TPM_ST.NO_SESSIONS);
  const sizeAt = w.reserve(4);
  w.u32(cmd.code);
  for (const h of handles) w.u32(h);
  if (auths.length) {
    w.lengthPrefixed(4, (x) => {
      for (const a of auths) TPMS_AUTH_COMMAND.encode(x, a, {});
    });
  }
  cmd.request.encode(w, args.params, {});
  w.patch(sizeAt, 4, w.length);
  return w.finish();
}

/** Parses a response to `cmd`; a non-zero response code becomes a TpmError naming it. */
export function decodeResponse<Rsp>(
  cmd: Command<unknown, Rsp>,
  bytes: Uint8Array,
  sessions: number,
): CommandResult<Rsp> {
  const r = new Reader(bytes, `${cmd.name}.response`);
  const tag = r.u16('tag');
  const size = r.u32('responseSize');
  if (size !== bytes.byteLength) r.fail('responseSize', `says ${size}, got ${bytes.byteLength} bytes`, 2);
  const rc = r.u32('responseCode');
  if (rc !== TPM_RC_SUCCESS) throw new TpmError(`TPM2_${cmd.name}`, rc);
  if (tag !== TPM_ST.SESSIONS && tag !== TPM_ST.NO_SESSIONS) r.fail('tag', `unexpected tag 0x${tag.toString(16)}`, 0);
  const handle = cmd.responseHandle ? r.u32('handle') : 0;
  let paramReader: Reader;
  const auths: AuthResponse[] = [];
  if (tag === TPM_ST.SESSIONS) {
    const n = r.u32('parameterSize');
    paramReader = r.sub(n, 'parameters');
    for (let i = 0; !r.done; i++) auths.push(TPMS_AUTH_RESPONSE.decode(r, `auth[${i}]`, {}));
    if (auths.length !== sessions) r.fail('auths', `${auths.length} authorizations for ${sessions} sessions`);
  } else {
    if (sessions) r.fail('tag', 'TPM_ST_NO_SESSIONS in answer to a command with sessions', 0);
    paramReader = r.sub(r.remaining, 'parameters');
  }
  const start = paramReader.absolute;
  const params = cmd.response.decode(paramReader, '', {});
  paramReader.end();
  return { handle, params, auths, rawParams: bytes.subarray(start, paramReader.absolute) };
}

/** Executes one command over a transport: the single path every command takes. */
export async function execute<Req, Rsp>(
  send: Send,
  cmd: Command<Req, Rsp>,
  args: CommandArgs<Req>,
): Promise<CommandResult<Rsp>> {
  const bytes = encodeCommand(cmd, args);
  const rsp = await send(bytes);
  return decodeResponse(cmd, rsp, args.auths?.length ?? 0);
}

/** Defines a command; the descriptors' types flow into `execute`. */
export function command<Req, Rsp>(def: Command<Req, Rsp>): Command<Req, Rsp> {
  return def;
}
