export { targets } from '../unit/tnc/imc-imv/fuzz-targets.ts';
