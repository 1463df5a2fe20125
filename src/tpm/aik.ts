/**
 * The attestation identity key (AIK, "AK" in tpm2-tools): a restricted signing key that only signs TPM-generated
 * structures (quotes, certify info). As Keylime and tpm2_createak do, it is created as a child of the EK, which
 * needs the EK's policy session (PolicySecret(TPM_RH_ENDORSEMENT)) for Create and Load; a child of the SRK is the
 * alternative. It is persisted with EvictControl (default handle 0x81010003) so that later boots find it.
 */
import { ConfigError } from '../common/errors.ts';
import { toHex } from '../common/bytes.ts';
import { passwordAuth, withTransient } from './client.ts';
import type { Auth, LoadedObject, Tpm } from './client.ts';
import { withEk } from './ek.ts';
import type { EkType } from './ek.ts';
import { keyId, objectName, spkiDer } from './keys.ts';
import { aikTemplateEccP256, aikTemplateRsa2048, srkTemplateEccP256, srkTemplateRsa2048 } from './templates.ts';
import { HANDLE_RANGE, TPM_ALG, TPM_HT, TPM_RH } from './types/constants.ts';
import type { TPMT_PUBLIC } from './types/public.ts';

export const DEFAULT_AIK_HANDLE = 0x81010003;

export interface AikOptions {
  /** Key type: 'ecc' (P-256 ECDSA-SHA256, default), 'rsa' (RSASSA-SHA256) or 'rsa-pss'. */
  type?: 'ecc' | 'rsa' | 'rsa-pss';
  /** Parent: the EK (default, as Keylime and tpm2_createak) or the SRK. */
  parent?: 'ek' | 'srk';
  /** Key type of the parent EK/SRK (default rsa). */
  parentType?: EkType;
  /** Persistent handle (default 0x81010003). */
  handle?: number;
  /** Evict whatever is persisted at `handle` first (default false: an occupied handle is an error). */
  replace?: boolean;
  ownerAuth?: Auth;
}

export interface AikInfo {
  handle: number;
  public: TPMT_PUBLIC;
  name: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  /** SHA-1 of the SubjectPublicKeyInfo (strongSwan's key id). */
  keyId: Uint8Array;
}

export function aikInfo(handle: number, pub: TPMT_PUBLIC): AikInfo {
  const spki = spkiDer(pub);
  return { handle, public: pub, name: objectName(pub), spki, keyId: keyId(spki) };
}

function templateFor(type: AikOptions['type']): TPMT_PUBLIC {
  return type === 'rsa' ? aikTemplateRsa2048() : type === 'rsa-pss' ? aikTemplateRsa2048(true) : aikTemplateEccP256();
}

/** Creates, loads and persists an AIK; no transient handle survives, whatever fails. */
export async function createAik(tpm: Tpm, opts: AikOptions = {}): Promise<AikInfo> {
  const handle = opts.handle ?? DEFAULT_AIK_HANDLE;
  if (handle >>> 24 !== TPM_HT.PERSISTENT)
    throw new ConfigError(`AIK handle 0x${handle.toString(16)} is not a persistent handle`);
  const template = templateFor(opts.type);
  const persist = async (aik: LoadedObject): Promise<AikInfo> => {
    const present = await tpm.handles(HANDLE_RANGE.PERSISTENT);
    if (present.includes(handle)) {
      if (!opts.replace)
        throw new ConfigError(`persistent handle 0x${handle.toString(16)} is in use (set replace to evict it)`);
      await tpm.evictControl(handle, handle, opts.ownerAuth ?? passwordAuth());
    }
    await tpm.evictControl(aik.handle, handle, opts.ownerAuth ?? passwordAuth());
    return aikInfo(handle, aik.public);
  };
  if ((opts.parent ?? 'ek') === 'ek') {
    return withEk(tpm, opts.parentType ?? 'rsa', async (ek) => {
      const created = await tpm.withEkPolicy((auth) => tpm.create(ek.handle, template, auth));
      return withTransient(
        tpm,
        tpm.withEkPolicy((auth) => tpm.load(ek.handle, created, auth)),
        persist,
      );
    });
  }
  const srkTemplate = (opts.parentType ?? 'rsa') === 'rsa' ? srkTemplateRsa2048() : srkTemplateEccP256();
  return withTransient(
    tpm,
    tpm.createPrimary(TPM_RH.OWNER, srkTemplate, { hierarchyAuth: opts.ownerAuth ?? passwordAuth() }),
    async (srk) => {
      const created = await tpm.create(srk.handle, template, passwordAuth());
      return withTransient(tpm, tpm.load(srk.handle, created, passwordAuth()), persist);
    },
  );
}

/** Reads a persisted AIK. */
export async function loadAik(tpm: Tpm, handle = DEFAULT_AIK_HANDLE): Promise<AikInfo> {
  const p = await tpm.readPublic(handle);
  return aikInfo(handle, p.public);
}

/** The scheme the AIK signs with (TPM_ALG_NULL asks the TPM to use the key's own scheme). */
export const KEY_SCHEME = { scheme: TPM_ALG.NULL, details: null };

/** JSON form of an AIK. */
export function aikJson(a: AikInfo): Record<string, string> {
  return {
    handle: `0x${a.handle.toString(16)}`,
    name: toHex(a.name),
    keyId: toHex(a.keyId),
    spki: toHex(a.spki),
    type: a.public.type === TPM_ALG.RSA ? 'rsa' : 'ecc',
  };
}
