/**
 * Certificate handling for IKE public-key authentication: chain building to a trust anchor, validity, identity
 * matching between IDi/IDr and the end-entity certificate (RFC 7296 §3.5, §3.6), and CERTREQ authority hashes
 * (SHA-1 of the CA's SubjectPublicKeyInfo, RFC 7296 §3.7).
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { equal } from '../../common/bytes.ts';
import { VerifyError } from '../../common/errors.ts';
import { ipToText } from '../../common/ip.ts';
import { x509 } from '../../common/x509.ts';
import type { Identity } from '../config.ts';
import { IdType } from '../payloads/types.ts';

const MAX_CHAIN = 8;

export interface VerifiedCert {
  cert: X509Certificate;
  publicKey: KeyObject;
  subject: string;
  /** The chain from end entity to the trust anchor. */
  chain: X509Certificate[];
}

function parse(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (e) {
    throw new VerifyError('certificate', `${what} is not a valid X.509 certificate`, { cause: e });
  }
}

/** SHA-1 over the DER SubjectPublicKeyInfo: the CERTREQ authority hash and strongSwan's key id. */
export function keyIdSha1(cert: Uint8Array | X509Certificate): Uint8Array {
  const c = cert instanceof X509Certificate ? cert : parse(cert, 'CA certificate');
  const spki = c.publicKey.export({ type: 'spki', format: 'der' });
  return new Uint8Array(createHash('sha1').update(spki).digest());
}

/**
 * Builds and verifies the chain from `endEntity` through `intermediates` to one of `anchors` at time `now`.
 * Every certificate must be within its validity period and signed by the next; the last must be an anchor.
 */
export function verifyChain(
  endEntity: Uint8Array,
  intermediates: Uint8Array[],
  anchors: Uint8Array[],
  now: number,
): VerifiedCert {
  const ee = parse(endEntity, 'end-entity certificate');
  const pool = intermediates.map((d, i) => parse(d, `intermediate certificate ${i}`));
  const trusted = anchors.map((d, i) => parse(d, `trust anchor ${i}`));
  const chain = [ee];
  const when = new Date(now);
  for (let cur = ee; chain.length <= MAX_CHAIN;) {
    if (when < new Date(cur.validFrom) || when > new Date(cur.validTo)) {
      throw new VerifyError('certificate', `"${cur.subject}" is not valid at ${when.toISOString()}`);
    }
    const anchor = trusted.find((a) => cur.checkIssued(a) && cur.verify(a.publicKey));
    if (anchor) {
      if (when < new Date(anchor.validFrom) || when > new Date(anchor.validTo)) {
        throw new VerifyError('certificate', `trust anchor "${anchor.subject}" is not valid now`);
      }
      if (anchor !== cur) chain.push(anchor);
      return { cert: ee, publicKey: ee.publicKey, subject: ee.subject, chain };
    }
    const next = pool.find((c) => c !== cur && cur.checkIssued(c) && c.ca && cur.verify(c.publicKey));
    if (!next) throw new VerifyError('certificate', `no trusted issuer for "${cur.subject}"`);
    chain.push(next);
    cur = next;
  }
  throw new VerifyError('certificate', `chain longer than ${MAX_CHAIN}`);
}

/** DER of the subject Name of a certificate. */
export function subjectDer(cert: X509Certificate): Uint8Array {
  return new Uint8Array(new x509.X509Certificate(cert.raw).subjectName.toArrayBuffer());
}

/** Does `id` name the holder of `cert`? (subjectAltName or subject DN, as charon matches them) */
export function certMatchesId(cert: X509Certificate, id: Identity): boolean {
  const text = new TextDecoder().decode(id.data);
  switch (id.idType) {
    case IdType.ID_IPV4_ADDR:
    case IdType.ID_IPV6_ADDR:
      // An address of any other length names nobody (and is no text checkIP accepts).
      return (id.data.byteLength === 4 || id.data.byteLength === 16) && cert.checkIP(ipToText(id.data)) !== undefined;
    case IdType.ID_FQDN:
      return cert.checkHost(text, { wildcards: false, subject: 'never' }) !== undefined;
    case IdType.ID_RFC822_ADDR:
      return cert.checkEmail(text, { subject: 'never' }) !== undefined;
    case IdType.ID_DER_ASN1_DN: {
      const mine = subjectDer(cert);
      if (equal(mine, id.data)) return true;
      try {
        return new x509.Name(id.data).toString() === new x509.Name(mine).toString();
      } catch {
        return false;
      }
    }
    default:
      return false;
  }
}

/** An identity for a certificate when none is configured: its subject DN (charon's default). */
export function idFromCert(cert: Uint8Array): Identity {
  return { idType: IdType.ID_DER_ASN1_DN, data: subjectDer(parse(cert, 'certificate')) };
}
