import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseProposals,
  selectProposal,
  suiteFromTransforms,
  formatSuite,
  formatTransforms,
  defaultProposals,
  TransformType as T,
  Encr,
  Integ,
  PrfId,
  KeMethod,
  Esn,
} from '../../../src/crypto/index.ts';
import type { Transform } from '../../../src/crypto/index.ts';
import { ConfigError } from '../../../src/common/index.ts';

const tr = (type: number, id: number, keyLength?: number): Transform =>
  keyLength === undefined ? { type, id } : { type, id, keyLength };

/** strongSwan strings → the transforms strongSwan's proposal_create_from_string yields (print order). */
const parseCases: [string, 'ike' | 'esp', Transform[]][] = [
  [
    'aes256gcm16-prfsha256-x25519',
    'ike',
    [tr(T.ENCR, Encr.AES_GCM_16, 256), tr(T.PRF, PrfId.PRF_HMAC_SHA2_256), tr(T.KE, KeMethod.CURVE_25519)],
  ],
  // The PRF follows from the integrity algorithm (proposal.c integ_prf_map).
  [
    'aes128-sha256-modp3072',
    'ike',
    [
      tr(T.ENCR, Encr.AES_CBC, 128),
      tr(T.INTEG, Integ.HMAC_SHA2_256_128),
      tr(T.PRF, PrfId.PRF_HMAC_SHA2_256),
      tr(T.KE, KeMethod.MODP_3072),
    ],
  ],
  [
    'chacha20poly1305-prfsha512-ecp384',
    'ike',
    [tr(T.ENCR, Encr.CHACHA20_POLY1305), tr(T.PRF, PrfId.PRF_HMAC_SHA2_512), tr(T.KE, KeMethod.ECP_384)],
  ],
  [
    'aes256gcm16-prfsha384-x25519-ke1_mlkem768',
    'ike',
    [
      tr(T.ENCR, Encr.AES_GCM_16, 256),
      tr(T.PRF, PrfId.PRF_HMAC_SHA2_384),
      tr(T.KE, KeMethod.CURVE_25519),
      tr(T.ADDKE1, KeMethod.ML_KEM_768),
    ],
  ],
  [
    'aes128-aes256-sha256-sha384-x25519-ecp256',
    'ike',
    [
      tr(T.ENCR, Encr.AES_CBC, 128),
      tr(T.ENCR, Encr.AES_CBC, 256),
      tr(T.INTEG, Integ.HMAC_SHA2_256_128),
      tr(T.INTEG, Integ.HMAC_SHA2_384_192),
      tr(T.PRF, PrfId.PRF_HMAC_SHA2_256),
      tr(T.PRF, PrfId.PRF_HMAC_SHA2_384),
      tr(T.KE, KeMethod.CURVE_25519),
      tr(T.KE, KeMethod.ECP_256),
    ],
  ],
  // An explicit PRF wins; none of the integrity-implied PRFs is added.
  [
    'aes128-sha1-prfsha256-modp2048',
    'ike',
    [
      tr(T.ENCR, Encr.AES_CBC, 128),
      tr(T.INTEG, Integ.HMAC_SHA1_96),
      tr(T.PRF, PrfId.PRF_HMAC_SHA2_256),
      tr(T.KE, KeMethod.MODP_2048),
    ],
  ],
  // AEAD: integrity algorithms are dropped; KE none dropped from IKE.
  [
    'aes128gcm16-sha256-x25519-none',
    'ike',
    [tr(T.ENCR, Encr.AES_GCM_16, 128), tr(T.PRF, PrfId.PRF_HMAC_SHA2_256), tr(T.KE, KeMethod.CURVE_25519)],
  ],
  ['aes256gcm16', 'esp', [tr(T.ENCR, Encr.AES_GCM_16, 256), tr(T.ESN, Esn.NO)]],
  ['aes128-sha256', 'esp', [tr(T.ENCR, Encr.AES_CBC, 128), tr(T.INTEG, Integ.HMAC_SHA2_256_128), tr(T.ESN, Esn.NO)]],
  ['chacha20poly1305', 'esp', [tr(T.ENCR, Encr.CHACHA20_POLY1305), tr(T.ESN, Esn.NO)]],
  ['aes256gcm16-modp3072', 'esp', [tr(T.ENCR, Encr.AES_GCM_16, 256), tr(T.KE, KeMethod.MODP_3072), tr(T.ESN, Esn.NO)]],
  ['aes128gcm-esn', 'esp', [tr(T.ENCR, Encr.AES_GCM_16, 128), tr(T.ESN, Esn.YES)]],
  ['aes128gcm128-esn-noesn', 'esp', [tr(T.ENCR, Encr.AES_GCM_16, 128), tr(T.ESN, Esn.YES), tr(T.ESN, Esn.NO)]],
  // PRFs are removed from ESP proposals.
  [
    'aes192-sha512-prfsha512',
    'esp',
    [tr(T.ENCR, Encr.AES_CBC, 192), tr(T.INTEG, Integ.HMAC_SHA2_512_256), tr(T.ESN, Esn.NO)],
  ],
  [
    'AES256GCM12-ECP256-KE2_MLKEM1024',
    'esp',
    [
      tr(T.ENCR, Encr.AES_GCM_12, 256),
      tr(T.KE, KeMethod.ECP_256),
      tr(T.ESN, Esn.NO),
      tr(T.ADDKE2, KeMethod.ML_KEM_1024),
    ],
  ],
];

test('strongSwan proposal strings parse to the transforms strongSwan builds', () => {
  for (const [text, proto, expected] of parseCases) {
    const got = parseProposals(text, proto);
    assert.equal(got.length, 1, text);
    assert.deepEqual(got[0], expected, text);
  }
});

test('a comma-separated list gives several proposals, in order', () => {
  const p = parseProposals('aes256gcm16-prfsha256-x25519, aes128-sha256-modp3072', 'ike');
  assert.equal(p.length, 2);
  assert.equal(p[0]![0]!.id, Encr.AES_GCM_16);
  assert.equal(p[1]![0]!.id, Encr.AES_CBC);
});

test('default expands to strongSwan default proposals (IKE: classic first, ESP: AEAD first)', () => {
  const ike = parseProposals('default', 'ike');
  assert.equal(ike.length, 2);
  assert.ok(ike[0]!.some((x) => x.type === T.INTEG));
  assert.ok(ike[1]!.every((x) => x.type !== T.INTEG));
  assert.ok(
    ike.every((p) => p.some((x) => x.type === T.PRF) && p.some((x) => x.type === T.KE && x.id === KeMethod.ECP_256)),
  );
  const esp = parseProposals('default', 'esp');
  assert.equal(esp[0]![0]!.id, Encr.AES_GCM_16);
  assert.ok(
    esp.every((p) => p.some((x) => x.type === T.KE && x.id === KeMethod.NONE) && p.some((x) => x.type === T.ESN)),
  );
  assert.deepEqual(parseProposals('aes128gcm16-prfsha256-x25519,default', 'ike').length, 3);
  assert.deepEqual(defaultProposals('esp'), esp);
});

test('configuration errors name the keyword or the rule', () => {
  const bad: [string, 'ike' | 'esp', RegExp][] = [
    ['aes256-sha256-modp2048-bogus', 'ike', /algorithm 'bogus' not recognized/],
    ['aes128ctr-sha256-x25519', 'ike', /'aes128ctr' not recognized/],
    ['aes256gcm16-x25519', 'ike', /PRF algorithm is mandatory/],
    ['aes256gcm16-prfsha256', 'ike', /key exchange method is mandatory/],
    ['aes256gcm16-prfsha256-none', 'ike', /key exchange method is mandatory/],
    ['aes256-prfsha256-x25519', 'ike', /integrity algorithm is mandatory/],
    ['sha256-modp2048', 'ike', /encryption algorithm is mandatory/],
    ['aes128-aes128gcm16-sha256-x25519', 'ike', /classic and AEAD/],
    ['aes128--sha256', 'esp', /empty algorithm/],
    ['', 'esp', /empty proposal list/],
    ['aes128,', 'esp', /empty proposal/],
    ['ke8_mlkem768-aes128gcm', 'esp', /'ke8_mlkem768' not recognized/],
    ['ke1_aes128-aes128gcm', 'esp', /'ke1_aes128' not recognized/],
  ];
  for (const [text, proto, re] of bad) {
    assert.throws(
      () => parseProposals(text, proto),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      text,
    );
  }
});

const ike = (s: string) => parseProposals(s, 'ike');
const esp = (s: string) => parseProposals(s, 'esp');
const offer = (ps: Transform[][]) => ps.map((transforms, i) => ({ num: i + 1, transforms }));

test('selectProposal: match, one transform per type, proposal number echoed', () => {
  const r = selectProposal(
    offer(ike('aes128-sha256-modp2048,aes256gcm16-aes128gcm16-prfsha384-prfsha256-ecp256-x25519')),
    ike('aes128gcm16-prfsha256-x25519'),
  );
  assert.ok(r);
  assert.equal(r.num, 2);
  assert.deepEqual(r.transforms, [
    tr(T.ENCR, Encr.AES_GCM_16, 128),
    tr(T.PRF, PrfId.PRF_HMAC_SHA2_256),
    tr(T.KE, KeMethod.CURVE_25519),
  ]);
  assert.deepEqual(r.suite, {
    encr: { id: Encr.AES_GCM_16, keyLength: 128 },
    prf: PrfId.PRF_HMAC_SHA2_256,
    ke: KeMethod.CURVE_25519,
  });
  const types = r.transforms.map((x) => x.type);
  assert.equal(new Set(types).size, types.length);
});

test('selectProposal: no match, key-length mismatch, unknown transform ids ignored', () => {
  assert.equal(selectProposal(offer(ike('aes128-sha256-modp2048')), ike('aes256gcm16-prfsha256-x25519')), null);
  // Same algorithm, different Key Length attribute: no match (RFC 7296 §3.3.5).
  assert.equal(selectProposal(offer(ike('aes128gcm16-prfsha256-x25519')), ike('aes256gcm16-prfsha256-x25519')), null);
  // An unknown ENCR id (AES-CCM here, id 16) and an unknown KE id are skipped; the known ones match.
  const withUnknown = [
    tr(T.ENCR, 16, 128),
    tr(T.ENCR, Encr.AES_GCM_16, 256),
    tr(T.PRF, 5),
    tr(T.KE, 1030),
    tr(T.KE, KeMethod.CURVE_25519),
  ];
  const r = selectProposal([{ num: 1, transforms: withUnknown }], ike('aes256gcm16-prfsha256-x25519'));
  assert.deepEqual(r?.suite, { encr: { id: Encr.AES_GCM_16, keyLength: 256 }, prf: 5, ke: KeMethod.CURVE_25519 });
  // An unknown transform type in the offer cannot be satisfied.
  assert.equal(
    selectProposal([{ num: 1, transforms: [...withUnknown, tr(13, 1)] }], ike('aes256gcm16-prfsha256-x25519')),
    null,
  );
  // AES without a key length attribute never matches.
  assert.equal(
    selectProposal(
      [{ num: 1, transforms: [tr(T.ENCR, Encr.AES_CBC), tr(T.INTEG, 12), tr(T.PRF, 5), tr(T.KE, 14)] }],
      ike('aes128-sha256-modp2048'),
    ),
    null,
  );
});

test('selectProposal: preference follows the peer by default and ours with preferOurs', () => {
  const offered = offer(ike('aes128-sha256-modp2048,aes256gcm16-prfsha256-x25519'));
  const ours = ike('aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048');
  assert.equal(selectProposal(offered, ours)?.num, 1);
  assert.equal(selectProposal(offered, ours, { preferOurs: true })?.num, 2);
  // Within a proposal: the preferred side's algorithm order decides.
  const o2 = offer(ike('aes128-aes256-sha256-sha384-modp2048-ecp256'));
  const c2 = ike('aes256-aes128-sha384-sha256-ecp256-modp2048');
  assert.deepEqual(selectProposal(o2, c2)?.suite, {
    encr: { id: Encr.AES_CBC, keyLength: 128 },
    integ: 12,
    prf: 5,
    ke: KeMethod.MODP_2048,
  });
  assert.deepEqual(selectProposal(o2, c2, { preferOurs: true })?.suite, {
    encr: { id: Encr.AES_CBC, keyLength: 256 },
    integ: 13,
    prf: 6,
    ke: KeMethod.ECP_256,
  });
});

test('selectProposal ESP: ESN, optional KE via NONE, PFS required when configured', () => {
  const noPfs = selectProposal(offer(esp('aes256gcm16')), esp('aes256gcm16-esn-noesn'));
  assert.deepEqual(noPfs?.suite, { encr: { id: Encr.AES_GCM_16, keyLength: 256 }, esn: 0 });
  assert.equal(selectProposal(offer(esp('aes256gcm16-esn')), esp('aes256gcm16')), null);
  // We require PFS; the peer offers none → no match. With default (KE optional via NONE) it matches.
  assert.equal(selectProposal(offer(esp('aes256gcm16')), esp('aes256gcm16-modp3072')), null);
  assert.deepEqual(selectProposal(offer(esp('aes256gcm16')), esp('default'))?.suite, {
    encr: { id: Encr.AES_GCM_16, keyLength: 256 },
    esn: 0,
  });
  const pfs = selectProposal(offer(esp('aes128-sha256-ecp256')), esp('default'), { preferOurs: true });
  assert.deepEqual(pfs?.suite, { encr: { id: Encr.AES_CBC, keyLength: 128 }, integ: 12, ke: KeMethod.ECP_256, esn: 0 });
  // ADDKE types are optional when NONE is proposed.
  const add = selectProposal(offer(esp('aes256gcm16-x25519-ke1_mlkem768-ke1_none')), esp('aes256gcm16-x25519'));
  assert.deepEqual(add?.suite, { encr: { id: Encr.AES_GCM_16, keyLength: 256 }, ke: KeMethod.CURVE_25519, esn: 0 });
});

test('selectProposal with additional key exchanges (RFC 9370) fills Suite.addKe in order', () => {
  const r = selectProposal(
    offer(ike('aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke3_mlkem1024')),
    ike('aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke3_mlkem1024'),
  );
  assert.deepEqual(r?.suite.addKe, [KeMethod.ML_KEM_768, 0, KeMethod.ML_KEM_1024]);
  assert.equal(
    formatSuite(r!.suite, 'ike'),
    'AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768/KE3_ML_KEM_1024',
  );
});

test('selection property: any offer built from our own proposal is accepted and yields one transform per type', () => {
  const all = ike('aes128-aes192-aes256-sha256-sha384-sha512-sha1-modp2048-modp3072-ecp256-ecp384-x25519-x448');
  const byType = (t: number) => all[0]!.filter((x) => x.type === t);
  fc.assert(
    fc.property(
      fc.subarray(byType(T.ENCR), { minLength: 1 }),
      fc.subarray(byType(T.INTEG), { minLength: 1 }),
      fc.subarray(byType(T.PRF), { minLength: 1 }),
      fc.subarray(byType(T.KE), { minLength: 1 }),
      fc.boolean(),
      (e, i, p, k, preferOurs) => {
        const r = selectProposal([{ num: 7, transforms: [...e, ...i, ...p, ...k] }], all, { preferOurs });
        assert.ok(r);
        assert.equal(r.num, 7);
        assert.deepEqual(r.transforms.map((x) => x.type).sort(), [T.ENCR, T.PRF, T.INTEG, T.KE].sort());
        assert.deepEqual(suiteFromTransforms(r.transforms), r.suite);
      },
    ),
    { numRuns: 100 },
  );
});

test('formatSuite and formatTransforms print strongSwan names', () => {
  const s = suiteFromTransforms(
    ike('aes128-sha256-modp3072')[0]!.filter((_, i, a) => a.findIndex((y) => y.type === _.type) === i),
  );
  assert.equal(formatSuite(s, 'ike'), 'AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072');
  assert.equal(
    formatSuite({ encr: { id: Encr.CHACHA20_POLY1305, keyLength: 256 }, esn: 1 }, 'esp'),
    'CHACHA20_POLY1305/ESN',
  );
  assert.equal(
    formatSuite({ encr: { id: Encr.AES_GCM_16, keyLength: 256 }, ke: KeMethod.MODP_3072, esn: 0 }, 'esp'),
    'AES_GCM_16-256/MODP_3072',
  );
  assert.equal(
    formatTransforms(ike('aes128-sha256-modp3072')[0]!, 'ike'),
    'IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072',
  );
  assert.equal(
    formatTransforms(esp('aes256gcm16-ke1_mlkem768')[0]!, 'esp'),
    'ESP:AES_GCM_16_256/NO_EXT_SEQ/KE1_ML_KEM_768',
  );
  assert.throws(() => suiteFromTransforms([tr(T.PRF, 5)]), ConfigError);
  assert.throws(() => suiteFromTransforms([tr(T.ENCR, 12, 128), tr(T.ENCR, 12, 256)]), ConfigError);
});
