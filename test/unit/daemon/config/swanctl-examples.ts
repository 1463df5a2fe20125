/**
 * swanctl.conf examples shared by the tests and the config fuzz target. FULL uses every key attestd types; the
 * others follow the style of strongSwan's testing scenarios (swanctl/rw-cert, swanctl/rw-eap-ttls-only).
 */

export const FULL = `# every key attestd understands
connections {
   gw {
      version = 2
      local_addrs = 192.168.0.1, 10.99.0.1
      remote_addrs = %any
      local_port = 4510
      remote_port = 4520
      proposals = aes256gcm16-prfsha384-ecp384, aes128-sha256-x25519
      encap = yes
      fragmentation = force
      dpd_delay = 30s
      rekey_time = 2h
      reauth_time = 1d
      over_time = 10m
      rand_time = 5m
      send_certreq = no
      send_cert = always
      keyingtries = 0
      unique = replace
      mobike = no
      local-2 {
         round = 2
         auth = eap-md5
         eap_id = carol
      }
      local-1 {
         round = 1
         auth = ecdsa-384-sha384
         id = "C=CH, O=strongSwan, CN=moon.strongswan.org"
         certs = moonCert.pem, moonCert2.pem
      }
      remote {
         auth = eap-ttls:ecdsa-256
         id = *@strongswan.org
         eap_id = %any
         aaa_id = aaa.strongswan.org
         ca_id = "C=CH, O=strongSwan, CN=strongSwan Root CA"
         cacerts = strongswanCert.pem
         revocation = strict
      }
      children {
         net {
            local_ts = 10.1.0.0/16, 192.168.0.1[tcp/http]
            remote_ts = dynamic[udp/500], fec0::1-fec0::ff, 10.2.0.0/24[icmp/2048]
            esp_proposals = aes128gcm16-x25519-esn, default
            mode = transport
            start_action = trap|start
            dpd_action = restart
            close_action = trap
            rekey_time = 50m
            life_time = 1h
            rand_time = 2m
            rekey_bytes = 500m
            life_bytes = 1g
            rand_bytes = 10k
            rekey_packets = 1000000
            life_packets = 0x200000
            rand_packets = 100
            replay_window = 64
         }
         host {
         }
      }
   }
}

secrets {
   ike-moon {
      id-1 = moon.strongswan.org
      id-2 = sun.strongswan.org
      secret = 0x45a30759df97dc26a15b88ff
   }
   eap-carol {
      id = carol
      secret = "Ar3etTnp"
   }
   ike-any {
      secret = 0sFpZAZqEN6Ti9sqt4ZP5EWcqx
   }
   private-moon {
      file = moonKey.pem
      secret = "passphrase one"
      secret2 = "passphrase two"
   }
}

attestd {
   imv { policy = strict }
}
`;

/** The road warrior of strongSwan's swanctl/rw-cert scenario, in shape. */
export const RW_CERT = `connections {
   home {
      remote_addrs = 192.168.0.1
      local {
         auth = pubkey
         certs = carolCert.pem
         id = carol@strongswan.org
      }
      remote {
         auth = pubkey
         id = moon.strongswan.org
      }
      children {
         home {
            remote_ts = 10.1.0.0/16
            updown = /usr/local/libexec/ipsec/_updown iptables
            esp_proposals = aes128gcm128-x25519
         }
      }
      version = 2
      proposals = aes128-sha256-x25519
   }
}
`;

/** EAP-only mutual attestation shell (INTEROP.md §2): both sides eap-ttls. */
export const EAP_TTLS = `connections {
   rw-eap {
      local_addrs = 10.99.0.2
      local {
         auth = pubkey
         certs = moonCert.pem
         id = moon.strongswan.org
      }
      remote {
         auth = eap-ttls
         id = %any
         eap_id = %any
      }
      children {
         net {
            local_ts = 10.1.0.0/24
         }
      }
      send_certreq = no
   }
}
secrets {
   eap-carol {
      id = carol@strongswan.org
      secret = Ar3etTnp
   }
}
`;
