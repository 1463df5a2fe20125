/**
 * Leveled logger with subsystem tags, after charon's (IKE, ENC, CFG, NET, ESP, TNC, PTS, TPM, IMC, IMV, DB...).
 * Levels: -1 silent .. 4 raw. Output is one line per record, text or JSON, to a sink (stderr by default).
 */

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

export interface LoggerOptions {
  /** Default level for every subsystem. */
  level?: LogLevelName;
  /** Per-subsystem overrides, like charon's filelog `ike = 2`. */
  levels?: Partial<Record<Subsystem, LogLevelName>>;
  json?: boolean;
  sink?: LogSink;
  /** Fields added to every record (e.g. the device name in a demo). */
  fields?: Record<string, unknown>;
}

const stderrSink: LogSink = (_r, text) => {
  process.stderr.write(text + '\n');
};

export class Logger {
  readonly #opts: Required<Omit<LoggerOptions, 'fields'>> & { fields: Record<string, unknown> };

  constructor(opts: LoggerOptions = {}) {
    this.#opts = {
      level: opts.level ?? 'info',
      levels: opts.levels ?? {},
      json: opts.json ?? false,
      sink: opts.sink ?? stderrSink,
      fields: opts.fields ?? {},
    };
  }

  /** A logger with extra fields on every record; shares level and sink. */
  child(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.#opts, fields: { ...this.#opts.fields, ...fields } });
  }

  enabled(subsystem: Subsystem, level: LogLevelName): boolean {
    const limit = this.#opts.levels[subsystem] ?? this.#opts.level;
    return LogLevel[level] <= LogLevel[limit] && LogLevel[level] >= 0;
  }

  log(subsystem: Subsystem, level: LogLevelName, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(subsystem, level)) return;
    const record: LogRecord = { time: new Date().toISOString(), level, subsystem, msg, ...this.#opts.fields, ...fields };
    let text: string;
    if (this.#opts.json) {
      text = JSON.stringify(record, (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
      );
    } else {
      const extra = { ...this.#opts.fields, ...fields };
      const tail = Object.keys(extra).length
        ? ' ' +
          Object.entries(extra)
            .map(([k, v]) => `${k}=${v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v)}`)
            .join(' ')
        : '';
      text = `${record.time.slice(11, 23)} [${subsystem}] ${msg}${tail}`;
    }
    this.#opts.sink(record, text);
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
