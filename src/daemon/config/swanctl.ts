/**
 * swanctl.conf(5) → typed configuration, for the subset attestd implements. Keys are read the way charon's
 * vici_config.c reads them (value syntaxes, defaults, round ordering, lifetime derivation); swanctl's own file
 * handling (load_conns.c, load_creds.c) decides lists and secrets.
 *
 * Unknown keys and sections become warnings, not errors. Note that charon is stricter: inside
 * `connections.<conn>` it discards the whole connection on an unknown key ("unknown option: x, config discarded")
 * or subsection ("invalid section: x"); the warning text says so. Top-level sections other than `connections`,
 * `secrets`, `pools` and `authorities` are never read by swanctl, so `attestd { }` is safe in a shared file.
 *
 * The file-level reading (trees, list splitting, certificate and key files, secrets) is checked against the real
 * swanctl talking to a recording VICI socket: test/unit/daemon/config/swanctl-vici-differential.test.ts.
 */
import { ConfigError } from '../../common/errors.ts';
import { formatPos, getSection, loadSettings, parseSettings } from './settings.ts';
import type { ParseSettingsOptions, SettingsSection, SourcePos } from './settings.ts';
import type {
  AuthClass,
  AuthRound,
  ChildAction,
  ChildConfig,
  ConnectionConfig,
  DpdAction,
  KeyPassphrase,
  Secret,
  SharedSecret,
  SwanctlConfig,
  SwanctlParseResult,
} from './types.ts';
import {
  decodeSecret,
  parseBool,
  parseBytes,
  parseChoice,
  parseList,
  parseTime,
  parseTrafficSelector,
  parseUint,
} from './values.ts';

/** swanctl.conf keys charon knows but attestd ignores (swanctl.opt), per section kind. */
const IGNORED = {
  connection: [
    'vips',
    'aggressive',
    'pull',
    'dscp',
    'dpd_timeout',
    'childless',
    'ocsp',
    'ppk_id',
    'ppk_required',
    'pools',
    'if_id_in',
    'if_id_out',
    'mediation',
    'mediated_by',
    'mediation_peer',
  ],
  auth: ['pubkeys', 'groups', 'cert_policy', 'xauth_id'],
  child: [
    'ah_proposals',
    'sha256_96',
    'updown',
    'hostaccess',
    'policies',
    'policies_fwd_out',
    'ipcomp',
    'inactivity',
    'reqid',
    'priority',
    'interface',
    'mark_in',
    'mark_in_sa',
    'mark_out',
    'set_mark_in',
    'set_mark_out',
    'if_id_in',
    'if_id_out',
    'label',
    'label_mode',
    'tfc_padding',
    'per_cpu_sas',
    'hw_offload',
    'copy_df',
    'copy_ecn',
    'copy_dscp',
    'icmp',
  ],
} as const;

const KNOWN_EAP = [
  'identity',
  'md5',
  'otp',
  'gtc',
  'tls',
  'ttls',
  'sim',
  'aka',
  'peap',
  'mschapv2',
  'tnc',
  'pt',
  'dynamic',
  'radius',
];

/** Reads the keys of one section, remembering which were used, and reports errors with their position. */
class Keys {
  readonly #s: SettingsSection;
  readonly #file: string;
  readonly #used = new Set<string>();

  constructor(s: SettingsSection, file: string) {
    this.#s = s;
    this.#file = file;
  }

  pos(key?: string): string {
    const at = (key !== undefined ? this.#s.where.get(key) : undefined) ?? this.#s.at;
    return at ? formatPos(at) : this.#file;
  }

  /** Reads an optional key with a value parser; errors name the file position and the dotted key. */
  get<T>(key: string, parse: (v: string) => T): T | undefined {
    this.#used.add(key);
    const v = this.#s.values.get(key);
    if (v === undefined) return undefined;
    try {
      return parse(v);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(`${this.pos(key)}: ${this.#s.path}.${key} = ${v}: ${e.message}`, { cause: e });
    }
  }

  str(key: string): string | undefined {
    return this.get(key, (v) => v);
  }

  error(key: string, message: string): ConfigError {
    return new ConfigError(`${this.pos(key)}: ${this.#s.path}.${key}: ${message}`);
  }

  /** Keys present but never read: ignored ones (known to strongSwan) and unknown ones. */
  leftovers(warnings: string[], ignored: readonly string[], charonRejects: boolean): void {
    for (const key of this.#s.values.keys()) {
      if (this.#used.has(key)) continue;
      const where = `${this.pos(key)}: ${this.#s.path}.${key}`;
      if (ignored.includes(key)) warnings.push(`${where}: not supported by attestd, ignored`);
      else
        warnings.push(`${where}: unknown option, ignored${charonRejects ? ' (charon would discard this config)' : ''}`);
    }
  }
}

/** `auth` → class, EAP method and constraints (vici_config.c parse_auth; eap.c eap_vendor_type_from_string). */
export function parseAuth(v: string): Pick<AuthRound, 'auth' | 'eapType' | 'eapVendor' | 'constraints'> {
  if (v.startsWith('ike:') || v.startsWith('pubkey') || v.startsWith('rsa') || v.startsWith('ecdsa')) {
    const constraints = v === 'pubkey' ? undefined : v;
    return { auth: 'pubkey', eapType: undefined, eapVendor: 0, constraints };
  }
  if (v.toLowerCase() === 'psk') return { auth: 'psk', eapType: undefined, eapVendor: 0, constraints: undefined };
  if (v.toLowerCase().startsWith('xauth')) throw new ConfigError('XAuth is IKEv1 only; attestd speaks IKEv2');
  if (v.toLowerCase().startsWith('eap')) {
    const colon = v.indexOf(':');
    const method = colon >= 0 ? v.slice(0, colon) : v;
    const constraints = colon >= 0 ? v.slice(colon + 1) : undefined;
    const parts = method
      .split('-')
      .map((p) => p.trim())
      .filter((p) => p);
    if (parts[0]?.toLowerCase() !== 'eap') throw new ConfigError(`expected eap or eap-<method>, found '${v}'`);
    const type = parts[1]?.toLowerCase();
    if (type === undefined) return { auth: 'eap', eapType: undefined, eapVendor: 0, constraints };
    if (!KNOWN_EAP.includes(type) && !/^[0-9]+$/.test(type))
      throw new ConfigError(`unknown EAP method '${type}' (known: ${KNOWN_EAP.join(', ')}, or a number)`);
    let vendor = 0;
    if (parts[2] !== undefined) vendor = parseUint(parts[2]);
    if (parts.length > 3) throw new ConfigError(`expected eap-<method>[-<vendor>], found '${v}'`);
    return { auth: 'eap', eapType: type, eapVendor: vendor, constraints };
  }
  throw new ConfigError(`unknown authentication '${v}' (pubkey, rsa…, ecdsa…, psk, eap or eap-<method>)`);
}

function authRound(s: SettingsSection, local: boolean, file: string, warnings: string[]): AuthRound {
  const k = new Keys(s, file);
  const authRaw = k.str('auth');
  const parsed = authRaw === undefined ? undefined : k.get('auth', parseAuth);
  const round: AuthRound = {
    section: s.name,
    round: k.get('round', (v) => parseUint(v)) ?? 0,
    auth: parsed?.auth ?? ((local ? 'pubkey' : 'any') satisfies AuthClass),
    authRaw,
    eapType: parsed?.eapType,
    eapVendor: parsed?.eapVendor ?? 0,
    constraints: parsed?.constraints,
    id: k.str('id'),
    eapId: k.str('eap_id'),
    aaaId: k.str('aaa_id'),
    caId: k.str('ca_id'),
    certs: k.get('certs', parseList) ?? [],
    cacerts: k.get('cacerts', parseList) ?? [],
    revocation: k.get('revocation', (v) => parseChoice(v, ['strict', 'ifuri', 'relaxed'] as const)) ?? 'relaxed',
    at: s.at,
  };
  k.leftovers(warnings, IGNORED.auth, true);
  for (const sub of s.sections.values()) {
    const where = `${sub.at ? formatPos(sub.at) : file}: ${sub.path}`;
    if (/^(cert|cacert)/i.test(sub.name))
      warnings.push(`${where}: certificate sections (file/handle) are not supported, ignored`);
    else warnings.push(`${where}: unknown section, ignored (charon would discard this config)`);
  }
  return round;
}

/** Flags of start/close/dpd actions (vici_config.c parse_action: start|restart, trap|route, none|clear, a|b). */
function actionFlags(v: string): { trap: boolean; start: boolean } {
  const flags = { trap: false, start: false };
  for (const part of v.split('|')) {
    const p = part.trim().toLowerCase();
    if (p === 'start' || p === 'restart') flags.start = true;
    else if (p === 'trap' || p === 'route') flags.trap = true;
    else if (p !== 'none' && p !== 'clear')
      throw new ConfigError(`expected none, trap, start (or trap|start), found '${v}'`);
  }
  return flags;
}

const childAction = (v: string): ChildAction => {
  const f = actionFlags(v);
  return f.trap && f.start ? 'trap|start' : f.trap ? 'trap' : f.start ? 'start' : 'none';
};
const dpdAction = (v: string): DpdAction => {
  const f = actionFlags(v);
  return f.trap && f.start ? 'trap|restart' : f.trap ? 'trap' : f.start ? 'restart' : 'clear';
};

const tsList = (v: string): string[] => {
  const list = parseList(v);
  for (const ts of list) parseTrafficSelector(ts);
  return list;
};

const proposalList = (v: string): string[] => {
  const list = parseList(v);
  for (const p of list)
    if (!/^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*$/.test(p))
      throw new ConfigError(
        `bad proposal '${p}' (algorithm keywords separated by dashes, e.g. aes256gcm16-prfsha384-ecp384)`,
      );
  return list;
};

/** Derived lifetimes (vici_config.c check_lifetimes): rekey = life / 1.1, life = rekey * 1.1, rand = life - rekey. */
function lifetimes(
  rekey: number | undefined,
  life: number | undefined,
  rand: number | undefined,
  rekeyDefault: number,
) {
  const r = rekey ?? (life !== undefined ? Math.floor(life / 1.1) : rekeyDefault);
  const l = life ?? Math.floor(r * 1.1);
  return { rekey: r, life: l, rand: rand ?? l - Math.min(l, r) };
}

function child(s: SettingsSection, file: string, warnings: string[]): ChildConfig {
  const k = new Keys(s, file);
  const time = lifetimes(
    k.get('rekey_time', parseTime),
    k.get('life_time', parseTime),
    k.get('rand_time', parseTime),
    3600,
  );
  const bytes = lifetimes(
    k.get('rekey_bytes', parseBytes),
    k.get('life_bytes', parseBytes),
    k.get('rand_bytes', parseBytes),
    0,
  );
  const u64 = (v: string) => parseUint(v, Number.MAX_SAFE_INTEGER);
  const packets = lifetimes(k.get('rekey_packets', u64), k.get('life_packets', u64), k.get('rand_packets', u64), 0);
  const mode = k.get('mode', (v) => {
    if (['transport_proxy', 'iptfs', 'beet', 'pass', 'drop'].includes(v.toLowerCase()))
      throw new ConfigError(`mode ${v} is not supported by attestd (tunnel or transport)`);
    return parseChoice(v, ['tunnel', 'transport'] as const);
  });
  const c: ChildConfig = {
    name: s.name,
    localTs: k.get('local_ts', tsList) ?? ['dynamic'],
    remoteTs: k.get('remote_ts', tsList) ?? ['dynamic'],
    espProposals: k.get('esp_proposals', proposalList) ?? ['default'],
    mode: mode ?? 'tunnel',
    startAction: k.get('start_action', childAction) ?? 'none',
    dpdAction: k.get('dpd_action', dpdAction) ?? 'clear',
    closeAction: k.get('close_action', childAction) ?? 'none',
    rekeyTime: time.rekey,
    lifeTime: time.life,
    randTime: time.rand,
    rekeyBytes: bytes.rekey,
    lifeBytes: bytes.life,
    randBytes: bytes.rand,
    rekeyPackets: packets.rekey,
    lifePackets: packets.life,
    randPackets: packets.rand,
    replayWindow: k.get('replay_window', (v) => parseUint(v)) ?? 32,
    at: s.at,
  };
  if (c.localTs.length === 0) c.localTs = ['dynamic'];
  if (c.remoteTs.length === 0) c.remoteTs = ['dynamic'];
  if (c.espProposals.length === 0) c.espProposals = ['default'];
  k.leftovers(warnings, IGNORED.child, true);
  for (const sub of s.sections.values())
    warnings.push(
      `${sub.at ? formatPos(sub.at) : file}: ${sub.path}: unknown section, ignored (charon would discard this config)`,
    );
  return c;
}

function connection(s: SettingsSection, file: string, warnings: string[]): ConnectionConfig {
  const k = new Keys(s, file);
  k.get('version', (v) => {
    const n = parseUint(v);
    if (n === 2) return 2;
    if (n === 0)
      throw new ConfigError('version 0 (IKEv1 or IKEv2) is not supported: attestd speaks IKEv2 only, set version = 2');
    if (n === 1) throw new ConfigError('IKEv1 is not supported: attestd speaks IKEv2 only, set version = 2');
    throw new ConfigError(`unknown IKE version ${n} (only 2 is supported)`);
  });
  const port = (v: string) => {
    const p = parseUint(v, 0xffff);
    if (p === 0) throw new ConfigError('port 0 is not usable');
    return p;
  };
  const rekeySet = k.get('rekey_time', parseTime);
  const reauthSet = k.get('reauth_time', parseTime);
  // vici_config.c: 4h rekeying unless either time is given; then the other defaults to 0.
  const rekeyTime = rekeySet ?? (reauthSet === undefined ? 14400 : 0);
  const reauthTime = reauthSet ?? 0;
  const overTime = k.get('over_time', parseTime) ?? Math.floor(Math.max(rekeyTime, reauthTime) / 10);
  const span = rekeyTime && reauthTime ? Math.min(rekeyTime, reauthTime) : Math.max(rekeyTime, reauthTime);
  const randTime = k.get('rand_time', parseTime) ?? Math.min(overTime, Math.floor(span / 2));
  const addrs = (v: string) => {
    const l = parseList(v);
    for (const a of l) if (/\s/.test(a)) throw new ConfigError(`bad address '${a}'`);
    return l;
  };

  const local: AuthRound[] = [];
  const remote: AuthRound[] = [];
  const children: ChildConfig[] = [];
  for (const sub of s.sections.values()) {
    const lower = sub.name.toLowerCase();
    if (lower === 'children') {
      for (const c of sub.sections.values()) children.push(child(c, file, warnings));
      for (const key of sub.values.keys())
        warnings.push(
          `${formatPos(sub.where.get(key)!)}: ${sub.path}.${key}: unknown option, ignored (children holds sections only)`,
        );
    } else if (lower.startsWith('local')) local.push(authRound(sub, true, file, warnings));
    else if (lower.startsWith('remote')) remote.push(authRound(sub, false, file, warnings));
    else
      warnings.push(
        `${sub.at ? formatPos(sub.at) : file}: ${sub.path}: unknown section, ignored (charon would discard this config)`,
      );
  }
  const byRound = (a: AuthRound, b: AuthRound) => a.round - b.round; // stable: file order within a round number
  local.sort(byRound);
  remote.sort(byRound);
  const defaultRound = (section: string, isLocal: boolean): AuthRound => ({
    section,
    round: 0,
    auth: isLocal ? 'pubkey' : 'any',
    authRaw: undefined,
    eapType: undefined,
    eapVendor: 0,
    constraints: undefined,
    id: undefined,
    eapId: undefined,
    aaaId: undefined,
    caId: undefined,
    certs: [],
    cacerts: [],
    revocation: 'relaxed',
    at: undefined,
  });
  if (!local.length) local.push(defaultRound('local', true));
  if (!remote.length) remote.push(defaultRound('remote', false));

  const localAddrs = k.get('local_addrs', addrs) ?? [];
  const remoteAddrs = k.get('remote_addrs', addrs) ?? [];
  const proposals = k.get('proposals', proposalList) ?? [];
  const conn: ConnectionConfig = {
    name: s.name,
    version: 2,
    localAddrs: localAddrs.length ? localAddrs : ['%any'],
    remoteAddrs: remoteAddrs.length ? remoteAddrs : ['%any'],
    localPort: k.get('local_port', port) ?? 500,
    remotePort: k.get('remote_port', port) ?? 500,
    proposals: proposals.length ? proposals : ['default'],
    encap: k.get('encap', parseBool) ?? false,
    fragmentation: k.get('fragmentation', (v) => parseChoice(v, ['yes', 'accept', 'force', 'no'] as const)) ?? 'yes',
    dpdDelay: k.get('dpd_delay', parseTime) ?? 0,
    rekeyTime,
    reauthTime,
    overTime,
    randTime,
    sendCertreq: k.get('send_certreq', parseBool) ?? true,
    sendCert: k.get('send_cert', (v) => parseChoice(v, ['always', 'ifasked', 'never'] as const)) ?? 'ifasked',
    keyingtries: k.get('keyingtries', (v) => parseUint(v)) ?? 1,
    unique: k.get('unique', (v) => parseChoice(v, ['never', 'no', 'keep', 'replace'] as const)) ?? 'no',
    mobike: k.get('mobike', parseBool) ?? true,
    local,
    remote,
    children,
    at: s.at,
  };
  k.leftovers(warnings, IGNORED.connection, true);
  return conn;
}

const SHARED = ['eap', 'xauth', 'ntlm', 'ike', 'ppk'] as const;
const KEYFILES = ['private', 'rsa', 'ecdsa', 'pkcs8', 'pkcs12'] as const;

/** `secrets.<type><suffix>` (load_creds.c): the type is the section name's prefix. */
function secrets(s: SettingsSection, file: string, warnings: string[]): Secret[] {
  const out: Secret[] = [];
  for (const sec of s.sections.values()) {
    const k = new Keys(sec, file);
    // load_creds.c tries the prefixes in this order with strpfx (case-sensitive)
    const shared = SHARED.find((t) => sec.name.startsWith(t));
    const keyfile = shared ? undefined : KEYFILES.find((t) => sec.name.startsWith(t));
    if (shared) {
      const secret = k.get('secret', decodeSecret);
      if (!secret) throw k.error('secret', `missing in '${sec.name}'`);
      const ids: string[] = [];
      for (const [key, v] of sec.values) if (key.startsWith('id')) ids.push(v);
      const entry: SharedSecret = { kind: 'shared', type: shared, name: sec.name, ids, data: secret };
      out.push(entry);
      for (const key of sec.values.keys())
        if (key !== 'secret' && !key.startsWith('id'))
          warnings.push(`${k.pos(key)}: ${sec.path}.${key}: unknown option, ignored`);
    } else if (keyfile) {
      const f = k.str('file');
      if (f === undefined) throw k.error('file', `missing in '${sec.name}'`);
      const list: string[] = [];
      for (const [key, v] of sec.values) if (key.startsWith('secret')) list.push(v);
      const entry: KeyPassphrase = { kind: 'passphrase', type: keyfile, name: sec.name, file: f, secrets: list };
      out.push(entry);
    } else if (sec.name.startsWith('token')) {
      warnings.push(`${sec.at ? formatPos(sec.at) : file}: ${sec.path}: PKCS#11 tokens are not supported, ignored`);
    } else {
      warnings.push(
        `${sec.at ? formatPos(sec.at) : file}: ${sec.path}: unsupported secret type, ignored (as swanctl does)`,
      );
    }
  }
  return out;
}

/** Maps a parsed settings tree onto the typed configuration. */
export function swanctlFromSettings(tree: SettingsSection, file = '<string>'): SwanctlParseResult {
  const warnings: string[] = [];
  const connections: ConnectionConfig[] = [];
  const conns = getSection(tree, 'connections');
  if (conns) {
    for (const c of conns.sections.values()) connections.push(connection(c, file, warnings));
    for (const key of conns.values.keys())
      warnings.push(
        `${formatPos(conns.where.get(key)!)}: connections.${key}: unknown option, ignored (connections holds sections only)`,
      );
  }
  const secretsSection = getSection(tree, 'secrets');
  const secretList = secretsSection ? secrets(secretsSection, file, warnings) : [];
  for (const [name, sec] of tree.sections) {
    if (name === 'connections' || name === 'secrets' || name === 'attestd') continue;
    const at: SourcePos | undefined = sec.at;
    if (name === 'pools' || name === 'authorities')
      warnings.push(`${at ? formatPos(at) : file}: ${name}: not supported by attestd, ignored`);
    else
      warnings.push(
        `${at ? formatPos(at) : file}: ${name}: unknown top-level section, ignored (swanctl ignores it too)`,
      );
  }
  for (const [key] of tree.values) warnings.push(`${formatPos(tree.where.get(key)!)}: ${key}: top-level key, ignored`);
  const config: SwanctlConfig = { connections, secrets: secretList, attestd: getSection(tree, 'attestd'), tree };
  return { config, warnings };
}

/** Parses swanctl.conf text. `opts.file` names it in messages and anchors relative includes. */
export function parseSwanctl(text: string, opts: ParseSettingsOptions = {}): SwanctlParseResult {
  return swanctlFromSettings(parseSettings(text, opts), opts.file);
}

/** Reads and parses a swanctl.conf file (without credentials; see loadSwanctl in credentials.ts). */
export function readSwanctl(path: string, opts: Omit<ParseSettingsOptions, 'file'> = {}): SwanctlParseResult {
  return swanctlFromSettings(loadSettings(path, opts), path);
}
