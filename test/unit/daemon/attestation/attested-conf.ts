/**
 * swanctl.conf text for two attested peers: EAP-only EAP-TTLS with client certificates on both sides, one CHILD_SA,
 * and an attestd { } section whose eap block names the TLS certificate; `attestd` adds the collector/verifier lines.
 */
export interface AttestedConf {
  me: string;
  peer: string;
  name: string;
  peerName: string;
  ts: string;
  rts: string;
  /** Lines inside attestd { } after the eap block (tnc, imc-*, imv-* sections). */
  attestd: string[];
}

export function attestedConf(o: AttestedConf): string {
  return [
    'connections {',
    '  attested {',
    `    local_addrs = ${o.me}`,
    `    remote_addrs = ${o.peer}`,
    '    proposals = aes256gcm16-prfsha256-x25519',
    '    local {',
    '      auth = eap-ttls',
    `      certs = ${o.name}.pem`,
    `      id = ${o.name}.example`,
    '    }',
    '    remote {',
    '      auth = eap-ttls',
    `      id = ${o.peerName}.example`,
    '    }',
    '    children {',
    '      net {',
    `        local_ts = ${o.ts}`,
    `        remote_ts = ${o.rts}`,
    '        esp_proposals = aes256gcm16',
    '      }',
    '    }',
    '  }',
    '}',
    'attestd {',
    '  eap {',
    `    cert = ${o.name}.pem`,
    '    tls_max = 1.3',
    '  }',
    ...o.attestd,
    '}',
    '',
  ].join('\n');
}
