/**
 * Shapes shared by the EAP interop suite and its runner, and the charon configuration of each scenario.
 */
export interface EapRunnerConfig {
  role: 'initiator' | 'responder';
  addr: string;
  peerAddr: string;
  innerTs: string;
  peerInnerTs: string;
  ourId: string;
  peerId: string;
  ourAuth: 'pubkey' | 'eap';
  peerAuth: 'pubkey' | 'eap';
  method: 'ttls' | 'md5';
  eapId?: string;
  eapOnly: boolean;
  /** Our TTLS server's phase 2. */
  phase2: 'md5' | 'none' | 'pt-eap';
  /** Present our certificate in TLS (mutual TTLS) / serve it as TTLS server. */
  tlsCert: boolean;
  serverIdentity?: string;
  /** Our EAP-TTLS fragment size (whole EAP packet), default 1024. */
  fragmentSize?: number;
  cert: string;
  key: string;
  ca: string;
  md5Id: string;
  md5Secret: string;
  timeoutMs: number;
}

export interface EapRunnerResult {
  established: boolean;
  sa?: { children: number; peerIds: string[] };
  server?: { outcome: string; reason: string; identity: string };
  error?: string;
  log: string[];
}

export interface CharonSide {
  /** `local` and `remote` sections of the swanctl connection (one key = value per line). */
  local: string[];
  remote: string[];
  /** charon.plugins.eap-ttls settings. */
  ttls: Record<string, string | number | boolean>;
}

export function charonSwanctl(o: {
  me: string;
  peer: string;
  inner: string;
  peerInner: string;
  side: CharonSide;
  md5Id: string;
  md5Secret: string;
}): string {
  return [
    'connections {',
    '  eap {',
    `    local_addrs = ${o.me}`,
    `    remote_addrs = ${o.peer}`,
    '    encap = yes',
    '    version = 2',
    '    proposals = aes256gcm16-prfsha256-x25519',
    '    send_cert = always',
    '    local {',
    ...o.side.local.map((l) => `      ${l}`),
    '    }',
    '    remote {',
    ...o.side.remote.map((l) => `      ${l}`),
    '    }',
    '    children {',
    '      net {',
    `        local_ts = ${o.inner}/32`,
    `        remote_ts = ${o.peerInner}/32`,
    '        esp_proposals = aes256gcm16',
    '      }',
    '    }',
    '  }',
    '}',
    'secrets {',
    '  eap-carol {',
    `    id = ${o.md5Id}`,
    `    secret = ${o.md5Secret}`,
    '  }',
    '}',
    '',
  ].join('\n');
}
