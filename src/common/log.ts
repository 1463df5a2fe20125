/**
 * Leveled logger with subsystem tags, after charon's (IKE, ENC, CFG, NET, ESP, TNC, PTS, TPM, IMC, IMV, DB...).
 * Levels: -1 silent .. 4 raw. Output is one line per record, text (default) or JSON lines, to a sink (stderr by
 * default); the daemon selects the format with `--log-format` or `attestd { log { format = json } }`.
 */
import { toHex } from './bytes.ts';

export const LogLevel = { silent: -1, error: 0, info: 1, debug: 2, trace: 3, raw: 4 } as const;
export type LogLevelName = keyof typeof LogLevel;

export type Subsystem =
  | 'IKE'
  | 'ENC'
  | 'CFG'
  | 'NET'
  | 'ESP'
  | 'KNL'
  | 'EAP'
  | 'TLS'
  | 'TNC'
  | 'PTS'
  | 'IMC'
  | 'IMV'
  | 'TPM'
  | 'MSR'
  | 'DB'
  | 'SRV'
  | 'DMN'
  | 'CLI';

export interface LogRecord {
  time: string;
  level: LogLevelName;
  subsystem: Subsystem;
  msg: string;
  [key: string]: unknown;
}

export type LogSink = (record: LogRecord, text: string) => void;

/**
 * `text`: `HH:MM:SS.mmm [IKE] message key=value …` for people. `json`: JSON lines for collectors, one object per
 * record: `{"time","level","subsystem","message", …fields}` (ISO time, level name, subsystem tag; a field that
 * would shadow one of these four is written as `field_<name>`; bytes as hex, bigints as strings, errors as
 * `{name, message, code}`). A record never spans lines in JSON (newlines in messages are escaped).
 */
export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export interface LoggerOptions {
  /** Default level for every subsystem. */
  level?: LogLevelName;
  /** Per-subsystem overrides, like charon's filelog `ike = 2`. */
  levels?: Partial<Record<Subsystem, LogLevelName>>;
  /** Output format (default text). */
  format?: LogFormat;
  /** Same as `format: 'json'` (kept for existing callers); `format` wins when both are given. */
  json?: boolean;
  sink?: LogSink;
  /** Fields added to every record (e.g. the device name in a demo). */
  fields?: Record<string, unknown>;
}

const stderrSink: LogSink = (_r, text) => {
  process.stderr.write(text + '\n');
};

/** Settings a logger shares with its children, so that a reconfiguration reaches every one of them. */
interface SharedState {
  level: LogLevelName;
  levels: Partial<Record<Subsystem, LogLevelName>>;
  format: LogFormat;
  sink: LogSink;
}

const CORE_KEYS = new Set(['time', 'level', 'subsystem', 'message']);

/** JSON.stringify replacer for log fields: bytes as hex, bigints as strings, errors by name, message and code. */
function jsonValue(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    return { name: v.name, message: v.message, ...(code !== undefined ? { code } : {}) };
  }
  return v;
}

/** One JSON line for a record; never throws (a field that cannot be serialised is written as its String()). */
export function formatJsonLine(
  time: string,
  level: LogLevelName,
  subsystem: Subsystem,
  message: string,
  fields: Record<string, unknown>,
): string {
  const out: Record<string, unknown> = { time, level, subsystem, message };
  for (const [k, v] of Object.entries(fields)) out[CORE_KEYS.has(k) ? `field_${k}` : k] = v;
  try {
    return JSON.stringify(out, jsonValue);
  } catch {
    // Cycles or throwing getters: keep the line, lose the structure of the offending fields only.
    for (const [k, v] of Object.entries(out)) {
      try {
        JSON.stringify(v, jsonValue);
      } catch {
        out[k] = String(v);
      }
    }
    return JSON.stringify(out, jsonValue);
  }
}

export class Logger {
  #state: SharedState;
  readonly #fields: Record<string, unknown>;

  constructor(opts: LoggerOptions = {}) {
    this.#state = {
      level: opts.level ?? 'info',
      levels: opts.levels ?? {},
      format: opts.format ?? (opts.json ? 'json' : 'text'),
      sink: opts.sink ?? stderrSink,
    };
    this.#fields = opts.fields ?? {};
  }

  /** A logger with extra fields on every record; shares level, format and sink (and later changes to them). */
  child(fields: Record<string, unknown>): Logger {
    const child = new Logger({ fields: { ...this.#fields, ...fields } });
    child.#state = this.#state;
    return child;
  }

  get format(): LogFormat {
    return this.#state.format;
  }

  /** Changes level, per-subsystem levels or format for this logger, its parent and all its children. */
  configure(opts: Pick<LoggerOptions, 'level' | 'levels' | 'format'>): void {
    if (opts.level !== undefined) this.#state.level = opts.level;
    if (opts.levels !== undefined) this.#state.levels = opts.levels;
    if (opts.format !== undefined) this.#state.format = opts.format;
  }

  enabled(subsystem: Subsystem, level: LogLevelName): boolean {
    const limit = this.#state.levels[subsystem] ?? this.#state.level;
    return LogLevel[level] <= LogLevel[limit] && LogLevel[level] >= 0;
  }

  log(subsystem: Subsystem, level: LogLevelName, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(subsystem, level)) return;
    const extra = { ...this.#fields, ...fields };
    const record: LogRecord = { ...extra, time: new Date().toISOString(), level, subsystem, msg };
    let text: string;
    if (this.#state.format === 'json') {
      text = formatJsonLine(record.time, level, subsystem, msg, extra);
    } else {
      const tail = Object.keys(extra).length
        ? ' ' +
          Object.entries(extra)
            .map(([k, v]) => `${k}=${v instanceof Uint8Array ? toHex(v) : String(v)}`)
            .join(' ')
        : '';
      text = `${record.time.slice(11, 23)} [${subsystem}] ${msg}${tail}`;
    }
    this.#state.sink(record, text);
  }

  error(s: Subsystem, msg: string, f?: Record<string, unknown>): void {
    this.log(s, 'error', msg, f);
  }
  info(s: Subsystem, msg: string, f?: Record<string, unknown>): void {
    this.log(s, 'info', msg, f);
  }
  debug(s: Subsystem, msg: string, f?: Record<string, unknown>): void {
    this.log(s, 'debug', msg, f);
  }
  trace(s: Subsystem, msg: string, f?: Record<string, unknown>): void {
    this.log(s, 'trace', msg, f);
  }

  /** Annotated hex dump at level raw, for the debug mode (STYLE practice 11). */
  dump(s: Subsystem, label: string, bytes: Uint8Array): void {
    if (!this.enabled(s, 'raw')) return;
    const lines: string[] = [];
    for (let i = 0; i < bytes.byteLength; i += 16) {
      const row = bytes.subarray(i, i + 16);
      const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
      const asc = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${i.toString(16).padStart(4, '0')}: ${hex.padEnd(47)}  ${asc}`);
    }
    this.log(s, 'raw', `${label} (${bytes.byteLength} bytes)\n${lines.join('\n')}`);
  }
}

/** A logger that drops everything (default for library code and tests). */
export const silentLogger = new Logger({ level: 'silent' });
