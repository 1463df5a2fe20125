/**
 * Regenerates the swtpm vectors in this folder: `node test/unit/tpm/vectors/capture-vectors.ts`.
 * Source: swtpm 0.7.1 / libtpms (Debian 12) manufactured by swtpm_setup, driven by this client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSwtpm } from '../../../support/swtpm.ts';
import { SwtpmTransport } from '../../../../src/tpm/transport/swtpm.ts';
import { Tpm } from '../../../../src/tpm/client.ts';
import { KEY_SCHEME, createAik } from '../../../../src/tpm/aik.ts';
import { createEk } from '../../../../src/tpm/ek.ts';
import { marshal } from '../../../../src/tpm/marshal.ts';
import { TPM2B_PUBLIC } from '../../../../src/tpm/types/public.ts';
import { TPMT_SIGNATURE } from '../../../../src/tpm/types/signature.ts';
import { TPM_ALG } from '../../../../src/tpm/types/constants.ts';
import { pcrSelectBytes } from '../../../../src/tpm/types/basic.ts';
import { toHex, utf8 } from '../../../../src/common/bytes.ts';

const sw = await startSwtpm();
try {
  const inner = new SwtpmTransport({ port: sw.port });
  let last: Uint8Array = new Uint8Array(0);
  const tpm = new Tpm({
    send: async (b) => (last = await inner.send(b)),
    close: () => inner.close(),
  });
  const ek = await createEk(tpm, 'rsa');
  await tpm.flush(ek.handle);
  writeFileSync(join(import.meta.dirname, 'swtpm-ek-rsa-public.hex'), toHex(marshal(TPM2B_PUBLIC, ek.public)) + '\n');
  await tpm.pcrEvent(16, utf8('attestd vector'));
  for (const type of ['ecc', 'rsa'] as const) {
    const aik = await createAik(tpm, { type, replace: true });
    const pcrs = [0, 1, 2, 3, 16];
    const nonce = new Uint8Array(20).map((_, i) => i + 1);
    const q = await tpm.quote(
      aik.handle,
      nonce,
      [{ hash: TPM_ALG.SHA256, pcrSelect: pcrSelectBytes(pcrs) }],
      KEY_SCHEME,
    );
    const quoteResponse = last;
    const values = await tpm.pcrRead([{ hash: TPM_ALG.SHA256, pcrs }]);
    const v = {
      source: 'swtpm 0.7.1 (Debian 12), AIK created by attestd under the RSA EK, TPM2_Quote over sha256:0,1,2,3,16',
      aikPublic: toHex(marshal(TPM2B_PUBLIC, aik.public)),
      aikSpki: toHex(aik.spki),
      nonce: toHex(nonce),
      pcrs: {
        sha256: Object.fromEntries([...values.banks.get(TPM_ALG.SHA256)!].map(([i, d]) => [String(i), toHex(d)])),
      },
      quoted: toHex(q.quoted),
      signature: toHex(marshal(TPMT_SIGNATURE, q.signature)),
      quoteResponse: toHex(quoteResponse),
    };
    writeFileSync(join(import.meta.dirname, `swtpm-quote-${type}.json`), JSON.stringify(v, null, 2) + '\n');
  }
  await inner.close();
} finally {
  await sw.stop();
}
