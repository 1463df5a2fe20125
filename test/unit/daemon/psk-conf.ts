/**
 * swanctl.conf text for the daemon tests: one PSK connection `gw` between two addresses (host selectors, one
 * CHILD_SA `net`), the shared secret for a.example/b.example, and optionally an attestd { } section.
 */
export function pskConf(
  me: string,
  peer: string,
  myId: string,
  peerId: string,
  o: { proposals?: string; attestd?: string[] } = {},
): string {
  return `connections {
  gw {
    local_addrs = ${me}
    remote_addrs = ${peer}
    proposals = ${o.proposals ?? 'aes256gcm16-prfsha256-x25519'}
    local {
      auth = psk
      id = ${myId}
    }
    remote {
      auth = psk
      id = ${peerId}
    }
    children {
      net {
        local_ts = ${me}/32
        remote_ts = ${peer}/32
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-gw {
    id-1 = a.example
    id-2 = b.example
    secret = "daemon test secret"
  }
}
${o.attestd ? `attestd {\n${o.attestd.map((l) => `  ${l}`).join('\n')}\n}\n` : ''}`;
}
