/**
 * The endorsement key: re-created from the TCG EK templates (templates.ts) in the endorsement hierarchy, and its
 * certificate read from the NV indices of the TCG EK Credential Profile 2.0 §2.2.1.4.
 */
import { withTransient } from './client.ts';
import type { LoadedObject, Tpm } from './client.ts';
import { RC, TpmError } from './rc.ts';
import { ekTemplateEccP256, ekTemplateRsa2048 } from './templates.ts';
import { EK_CERT_NV, TPM_RH } from './types/constants.ts';

export type EkType = 'rsa' | 'ecc';

/** Creates the EK as a transient object (the same key each time: primary keys derive from the hierarchy seed). */
export function createEk(tpm: Tpm, type: EkType = 'rsa'): Promise<LoadedObject> {
  return tpm.createPrimary(TPM_RH.ENDORSEMENT, type === 'rsa' ? ekTemplateRsa2048() : ekTemplateEccP256());
}

/** Runs `fn` with a transient EK, flushed afterwards. */
export function withEk<T>(tpm: Tpm, type: EkType, fn: (ek: LoadedObject) => Promise<T>): Promise<T> {
  return withTransient(tpm, createEk(tpm, type), fn);
}

/** NV indices to look for an EK certificate, in order (low range first, then the high range). */
export const EK_CERT_INDICES: Record<EkType, number[]> = {
  rsa: [EK_CERT_NV.RSA_2048, EK_CERT_NV.RSA_2048_HIGH],
  ecc: [EK_CERT_NV.ECC_NIST_P256, EK_CERT_NV.ECC_NIST_P256_HIGH],
};

/** The EK certificate (DER) stored at `index`, or undefined when the index is not defined. */
export async function readNvCertificate(tpm: Tpm, index: number): Promise<Uint8Array | undefined> {
  try {
    return await tpm.nvRead(index);
  } catch (e) {
    if (e instanceof TpmError && e.is(RC.HANDLE)) return undefined;
    throw e;
  }
}

/** The EK certificate for the EK of `type`, from the first defined index; undefined if none. */
export async function readEkCertificate(
  tpm: Tpm,
  type: EkType = 'rsa',
): Promise<{ index: number; der: Uint8Array } | undefined> {
  for (const index of EK_CERT_INDICES[type]) {
    const der = await readNvCertificate(tpm, index);
    if (der) return { index, der };
  }
  return undefined;
}
