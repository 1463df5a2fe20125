/** EAP (RFC 3748) for IKEv2: framework, EAP-MD5, EAP-TTLS (RFC 5281) over node:tls, PT-EAP (RFC 7171). */
export * from './method.ts';
export * from './packet.ts';
export * from './nak.ts';
export * from './md5.ts';
export * from './peer.ts';
export * from './server.ts';
export * from './provider.ts';
export * from './ttls/packet.ts';
export * from './ttls/avp.ts';
export * from './ttls/fragments.ts';
export * from './ttls/tunnel.ts';
export * from './ttls/peer.ts';
export * from './ttls/server.ts';
export * from './pt-eap/packet.ts';
export * from './pt-eap/method.ts';
