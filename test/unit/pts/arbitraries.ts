/** fast-check arbitraries for every TCG PTS attribute (shared by the codec tests and the fuzz seeds). */
import fc from 'fast-check';
import type { PaAttribute } from '../../../src/tnc/pa/index.ts';

const bytes = (min = 0, max = 48) => fc.uint8Array({ minLength: min, maxLength: max });
const noskip = fc.boolean();
const u16 = fc.nat(0xffff);
const u24 = fc.nat(0xffffff);
const u32 = fc.nat({ max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const text = (max: number) => fc.string({ maxLength: max, unit: 'grapheme' });
const name = fc.record({ vendor: u24, qualifier: fc.nat(0x3f), name: u32 });
const time = fc
  .date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19) + 'Z');
const rec = <T extends Record<string, unknown>>(kind: string, fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record({ kind: fc.constant(kind), noskip, ...fields }) as unknown as fc.Arbitrary<PaAttribute>;

export const ptsAttributeByKind: Record<string, fc.Arbitrary<PaAttribute>> = {
  'tcg/pts-req-proto-caps': rec('tcg/pts-req-proto-caps', { flags: u16 }),
  'tcg/pts-proto-caps': rec('tcg/pts-proto-caps', { flags: u16 }),
  'tcg/pts-dh-nonce-params-req': rec('tcg/pts-dh-nonce-params-req', { minNonceLength: fc.nat(255), dhGroups: u16 }),
  'tcg/pts-dh-nonce-params-resp': rec('tcg/pts-dh-nonce-params-resp', {
    dhGroup: u16,
    hashAlgorithms: u16,
    responderNonce: bytes(0, 255),
    responderValue: bytes(0, 97),
  }),
  'tcg/pts-dh-nonce-finish': rec('tcg/pts-dh-nonce-finish', {
    hashAlgorithm: u16,
    initiatorValue: bytes(0, 97),
    initiatorNonce: bytes(0, 255),
  }),
  'tcg/pts-meas-algo': rec('tcg/pts-meas-algo', { algorithms: u16 }),
  'tcg/pts-meas-algo-selection': rec('tcg/pts-meas-algo-selection', { algorithms: u16 }),
  'tcg/pts-get-tpm-version-info': rec('tcg/pts-get-tpm-version-info', {}),
  'tcg/pts-tpm-version-info': rec('tcg/pts-tpm-version-info', { info: bytes(4, 32) }),
  'tcg/pts-get-aik': rec('tcg/pts-get-aik', {}),
  'tcg/pts-aik': rec('tcg/pts-aik', { naked: fc.boolean(), aik: bytes(1, 128) }),
  'tcg/pts-req-func-comp-evid': rec('tcg/pts-req-func-comp-evid', {
    components: fc.array(fc.record({ flags: fc.nat(255), depth: u24, name }), { minLength: 1, maxLength: 4 }),
  }),
  'tcg/pts-gen-attest-evid': rec('tcg/pts-gen-attest-evid', {}),
  'tcg/pts-simple-comp-evid': fc
    .record({
      kind: fc.constant('tcg/pts-simple-comp-evid'),
      noskip,
      depth: u24,
      name,
      pcr: u24,
      hashAlgorithm: u16,
      transform: fc.nat(255),
      time,
      validation: fc.constantFrom(0x00, 0x20, 0x40, 0x60),
      policyUri: text(40),
      pcr2: fc.option(
        fc.integer({ min: 0, max: 64 }).chain((n) => fc.tuple(bytes(n, n), bytes(n, n))),
        { nil: undefined },
      ),
      measurement: bytes(0, 64),
    })
    .map(({ policyUri, pcr2, ...a }) => ({
      ...a,
      ...(a.validation === 0x40 || a.validation === 0x60 ? { policyUri } : {}),
      ...(pcr2 ? { pcrBefore: pcr2[0], pcrAfter: pcr2[1] } : {}),
    })) as unknown as fc.Arbitrary<PaAttribute>,
  'tcg/pts-simple-evid-final': fc
    .record({
      kind: fc.constant('tcg/pts-simple-evid-final'),
      noskip,
      quoteMode: fc.constantFrom(0x00, 0x10, 0x40, 0x80, 0xc0),
      compositeHashAlgorithm: u16,
      pcrComposite: bytes(0, 64),
      tpm2: fc.record({
        qualifiedSigner: bytes(0, 34),
        clockInfo: bytes(17, 17),
        firmwareVersion: bytes(8, 8),
        pcrSelect: bytes(0, 20),
      }),
      quoteSignature: bytes(0, 256),
      evidenceSignature: fc.option(bytes(0, 32), { nil: undefined }),
    })
    .map(({ pcrComposite, tpm2, quoteSignature, evidenceSignature, ...a }) => ({
      ...a,
      ...(a.quoteMode !== 0 ? { pcrComposite, quoteSignature } : {}),
      ...(a.quoteMode === 0x10 ? { tpm2 } : {}),
      ...(evidenceSignature ? { evidenceSignature } : {}),
    })) as unknown as fc.Arbitrary<PaAttribute>,
  'tcg/pts-req-file-meta': rec('tcg/pts-req-file-meta', {
    directory: fc.boolean(),
    delimiter: fc.nat(255),
    path: text(60),
  }),
  'tcg/pts-unix-file-meta': rec('tcg/pts-unix-file-meta', {
    files: fc.array(
      fc.record({
        filename: text(30),
        type: fc.nat(7),
        size: u64,
        created: u64,
        modified: u64,
        accessed: u64,
        owner: u64,
        group: u64,
      }),
      { maxLength: 4 },
    ),
  }),
  'tcg/pts-req-file-meas': rec('tcg/pts-req-file-meas', {
    directory: fc.boolean(),
    requestId: u16,
    delimiter: u32,
    path: text(60),
  }),
  'tcg/pts-file-meas': fc
    .record({
      kind: fc.constant('tcg/pts-file-meas'),
      noskip,
      requestId: u16,
      measurementLength: fc.constantFrom(0, 20, 32, 48),
    })
    .chain((a) =>
      fc
        .array(fc.record({ filename: text(30), measurement: bytes(a.measurementLength, a.measurementLength) }), {
          maxLength: 5,
        })
        .map((files) => ({ ...a, files })),
    ) as unknown as fc.Arbitrary<PaAttribute>,
};
