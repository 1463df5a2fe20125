// Lint rules, including the layer boundaries of docs/ARCHITECTURE.md: a folder imports only from layers below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layer of each top-level folder under src/, lowest first. Folders on one line share a layer. */
const layers = [
  ['common'],
  ['crypto'],
  ['tpm', 'measure', 'esp'],
  ['tnc', 'pts', 'swima', 'imc', 'imv'],
  ['eap'],
  ['ike'],
  ['refdb', 'server'],
  ['daemon', 'cli'],
];
/** Verifier-side code must never reach TPM transports or measurement I/O. */
const verifierOnly = ['refdb', 'server'];

const rank = new Map(layers.flatMap((folders, i) => folders.map((f) => [f, i])));
const all = [...rank.keys()];

const verifierPatterns = [
  {
    group: ['**/tpm/transport/**', '**/tpm/transport*', '**/measure/tree*', '**/measure/collect*', '**/measure/cli*'],
    message: 'verifier code may not import TPM transports or measurement I/O',
  },
];

function boundaryFor(folder, files = [`src/${folder}/**/*.ts`], extra = []) {
  const mine = rank.get(folder);
  const forbidden = all.filter((f) => f !== folder && (rank.get(f) > mine || rank.get(f) === mine));
  // Same-layer siblings may not import each other, except the pairs that are one subsystem.
  const siblingsAllowed = { imc: ['tnc', 'pts', 'swima'], imv: ['tnc', 'pts', 'swima'], pts: ['tnc'], swima: ['tnc'], server: ['refdb'], cli: ['daemon'] };
  const allowed = new Set(siblingsAllowed[folder] ?? []);
  let deny = forbidden.filter((f) => !allowed.has(f));
  // Verifier-side folders get no TPM at all and only the pure parts of measurement (parsers, manifests, replay).
  if (verifierOnly.includes(folder)) {
    deny = [...new Set([...deny, 'tpm'])].filter((f) => f !== 'measure');
    extra = [...extra, ...verifierPatterns];
  }
  // IKE reaches the data plane only through its own interface (src/ike/dataplane.ts); the daemon wires ESP in.
  if (folder === 'ike') deny = [...new Set([...deny, 'esp'])];
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: deny.map((f) => ({
            group: [`**/${f}/*`, `**/${f}/**`, `../${f}`, `../../${f}`],
            message: `src/${folder} may not import src/${f} (layer boundary, see docs/ARCHITECTURE.md)`,
          })).concat(extra),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'tmp/**', 'native/*/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The native addon's CommonJS loader.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...all.map((f) => boundaryFor(f)),
  // Verification is a pure function of evidence: no TPM transport, no file-system measurement.
  boundaryFor('pts', ['src/pts/verify/**/*.ts'], verifierPatterns),
  boundaryFor('imv', ['src/imv/**/*.ts'], verifierPatterns),
);
