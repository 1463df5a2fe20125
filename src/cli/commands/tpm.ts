/**
 * `attestd tpm info|pcrs|ek|create-aik|quote|verify-quote`: the TPM 2.0 client from the command line, over
 * /dev/tpmrm0 (default), another device, or swtpm's TCP protocol. The work is done by src/tpm/cli.ts, which returns
 * JSON-able objects; this file parses options, opens the transport and prints (JSON with --json, else text).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fromHex, toHex } from '../../common/bytes.ts';
import { ConfigError } from '../../common/errors.ts';
import { parsePublicKey } from '../../crypto/pem.ts';
import { Tpm } from '../../tpm/client.ts';
import { DEFAULT_AIK_HANDLE } from '../../tpm/aik.ts';
import { createAik, quote, readEk, readPcrs, tpmInfo, verifyQuote } from '../../tpm/cli.ts';
import type { VerifyQuoteJson } from '../../tpm/cli.ts';
import { DEFAULT_TPM_DEVICE, openTransport } from '../../tpm/transport/index.ts';
import type { Command } from '../command.ts';

const USAGE = [
  'attestd tpm <sub> [--device /dev/tpmrm0 | --tcti swtpm:host=H,port=P | --tcti device:PATH] [--json]',
  '  info                                       manufacturer, firmware, PCR banks, algorithms, handles',
  '  pcrs [--bank sha256]... [--pcrs 0,1,10]    PCR values (default: every active bank, PCRs 0-23)',
  '  ek [--type rsa|ecc] [--out ek.der]         EK public key (SPKI DER to --out) and its NV certificate',
  '  create-aik [--type ecc|rsa|rsa-pss] [--parent ek|srk] [--handle 0x81010003] [--replace] [--out aik.der]',
  '  quote [--pcrs 0,1,10] [--bank sha256] [--nonce HEX] [--handle H] [--out quote.json]',
  '  verify-quote QUOTE.json --aik aik.der --nonce HEX [--pcrs-file pcrs.json]   (no TPM needed; exit 1 if bad)',
].join('\n');

/** The transport for `--tcti` / `--device` (or ATTESTD_TCTI), shared with the attestation collector. */
export { openTransport };

/** "0,1,10" or "0-7,10" → [0, 1, 10]. */
export function parsePcrList(s: string): number[] {
  const out = new Set<number>();
  for (const part of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(`bad PCR list "${s}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b > 23) throw new ConfigError(`PCR index out of 0-23 in "${s}"`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  if (!out.size) throw new ConfigError('empty PCR list');
  return [...out].sort((x, y) => x - y);
}

function parseHandle(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ConfigError(`bad handle "${s}"`);
  return n;
}

function parseNonce(s: string): string {
  const hex = s.replace(/^0x/i, '').toLowerCase();
  if (!/^([0-9a-f]{2})+$/.test(hex) || hex.length > 128) throw new ConfigError('--nonce must be 1 to 64 bytes of hex');
  return hex;
}

/** An AIK public key file: DER or PEM SubjectPublicKeyInfo → DER hex. */
function readSpki(file: string): string {
  const key = parsePublicKey(readFileSync(file));
  return toHex(new Uint8Array(key.export({ format: 'der', type: 'spki' })));
}

/** Indented `key: value` text for people; nested objects indent, arrays of scalars join with spaces. */
export function renderText(v: unknown, indent = ''): string {
  if (v === null || typeof v !== 'object') return `${indent}${String(v)}`;
  const lines: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object'))
      lines.push(`${indent}${k}: ${x.join(' ')}`);
    else if (x !== null && typeof x === 'object') lines.push(`${indent}${k}:`, renderText(x, `${indent}  `));
    else lines.push(`${indent}${k}: ${String(x)}`);
  }
  return lines.join('\n');
}

const options = {
  tcti: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean', default: false },
  bank: { type: 'string', multiple: true },
  pcrs: { type: 'string' },
  type: { type: 'string' },
  parent: { type: 'string' },
  'parent-type': { type: 'string' },
  handle: { type: 'string' },
  replace: { type: 'boolean', default: false },
  nonce: { type: 'string' },
  out: { type: 'string' },
  aik: { type: 'string' },
  'pcrs-file': { type: 'string' },
} as const;

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new ConfigError(`${what} must be one of ${allowed.join(', ')}`);
  return v as T;
}

export const command: Command = {
  summary: 'TPM 2.0: info, PCRs, EK, create an AIK, quote, verify a quote',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values: v, positionals } = parseArgs({ args: rest, options, allowPositionals: true });
    const print = (o: unknown) => console.log(v.json ? JSON.stringify(o) : renderText(o));

    if (sub === 'verify-quote') {
      const file = positionals[0];
      if (!file || !v.aik || !v.nonce)
        throw new ConfigError('usage: verify-quote QUOTE.json --aik aik.der --nonce HEX [--pcrs-file pcrs.json]');
      const q = JSON.parse(readFileSync(file, 'utf8')) as Partial<VerifyQuoteJson>;
      if (typeof q.quoted !== 'string' || typeof q.signature !== 'string')
        throw new ConfigError(`${file}: not the output of attestd tpm quote`);
      const pcrs = v['pcrs-file']
        ? (JSON.parse(readFileSync(v['pcrs-file'], 'utf8')) as VerifyQuoteJson['pcrs'])
        : q.pcrs;
      if (!pcrs || typeof pcrs !== 'object')
        throw new ConfigError('no expected PCR values (--pcrs-file, or pcrs in the quote file)');
      const r = verifyQuote({
        quoted: q.quoted,
        signature: q.signature,
        aik: readSpki(v.aik),
        nonce: parseNonce(v.nonce),
        pcrs,
      });
      if (v.json) console.log(JSON.stringify(r));
      else if (r.ok) console.log('quote OK');
      else
        for (const f of r.failures as { what: string; message: string }[])
          console.log(`FAILED ${f.what}: ${f.message}`);
      return r.ok ? 0 : 1;
    }
    if (!sub || !['info', 'pcrs', 'ek', 'create-aik', 'quote'].includes(sub))
      throw new ConfigError(`unknown tpm subcommand '${sub ?? ''}'\nusage: ${USAGE}`);

    const tpm = new Tpm(openTransport(v));
    try {
      return await runOnTpm(tpm, sub, v, print);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'ENOENT') {
        const dev = v.device ?? DEFAULT_TPM_DEVICE;
        throw new ConfigError(
          `${(e as Error).message}${code === 'EACCES' ? ` (is your user in the group that owns ${dev}, usually tss?)` : ' (no TPM device; use --tcti swtpm:host=H,port=P for a simulator)'}`,
          { cause: e },
        );
      }
      throw e;
    } finally {
      await tpm.transport.close();
    }
  },
};

type Values = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
>['values'];

async function runOnTpm(tpm: Tpm, sub: string, v: Values, print: (o: unknown) => void): Promise<number> {
  switch (sub) {
    case 'info':
      print(await tpmInfo(tpm));
      return 0;
    case 'pcrs':
      print(
        await readPcrs(tpm, {
          ...(v.bank ? { banks: v.bank } : {}),
          ...(v.pcrs ? { pcrs: parsePcrList(v.pcrs) } : {}),
        }),
      );
      return 0;
    case 'ek': {
      const ek = await readEk(tpm, { type: oneOf(v.type, ['rsa', 'ecc'] as const, '--type') ?? 'rsa' });
      if (v.out) writeFileSync(v.out, fromHex(ek.spki as string));
      print(ek);
      return 0;
    }
    case 'create-aik': {
      const type = oneOf(v.type, ['ecc', 'rsa', 'rsa-pss'] as const, '--type');
      const parent = oneOf(v.parent, ['ek', 'srk'] as const, '--parent');
      const parentType = oneOf(v['parent-type'], ['rsa', 'ecc'] as const, '--parent-type');
      const handle = parseHandle(v.handle);
      const aik = await createAik(tpm, {
        ...(type ? { type } : {}),
        ...(parent ? { parent } : {}),
        ...(parentType ? { parentType } : {}),
        ...(handle === undefined ? {} : { handle }),
        replace: v.replace,
      });
      if (v.out) writeFileSync(v.out, fromHex(aik.spki!));
      print(aik);
      return 0;
    }
    case 'quote': {
      const q = await quote(tpm, {
        handle: parseHandle(v.handle) ?? DEFAULT_AIK_HANDLE,
        ...(v.nonce ? { nonce: parseNonce(v.nonce) } : {}),
        ...(v.bank?.[0] ? { bank: v.bank[0] } : {}),
        ...(v.pcrs ? { pcrs: parsePcrList(v.pcrs) } : {}),
      });
      // The verifier's input: { quoted, signature, nonce, pcrs, aik (SPKI hex) }.
      const out = { ...q, aik: (q.aik as Record<string, string>).spki, aikInfo: q.aik };
      if (v.out) writeFileSync(v.out, JSON.stringify(out, null, 2) + '\n');
      print(v.out ? { written: v.out, nonce: q.nonce, pcrs: q.pcrs } : out);
      return 0;
    }
  }
  return 2;
}
