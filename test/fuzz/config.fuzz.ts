/**
 * Fuzz targets for swanctl.conf handling: the strongSwan settings parser (includes served from memory) and the
 * typed swanctl model on top of it. Input bytes are decoded as UTF-8; only ConfigError may escape.
 */
import { parseSettings, parseSwanctl } from '../../src/daemon/config/index.ts';
import type { FuzzTarget } from '../support/harness.ts';
import { EAP_TTLS, FULL, RW_CERT } from '../unit/daemon/config/swanctl-examples.ts';

const te = new TextEncoder();
const td = new TextDecoder();

/** Includes resolve to one small in-memory file, so `include` paths are exercised without touching the disk. */
const memoryFs = {
  file: '/fuzz/swanctl.conf',
  readFile: (p: string) => (p.endsWith('.conf') ? 'included { k = v\n}\n' : ''),
  glob: (p: string) => (p.includes('*') ? ['/fuzz/a.conf', '/fuzz/b.conf'] : [p]),
};

const seeds = [
  FULL,
  RW_CERT,
  EAP_TTLS,
  'a : b, c.d { x = "q\\"uoted\\n" # c\n}\nb { y = 1 }\nc { d { z = 2 } }\n',
  'connections {\n  include conf.d/*.conf\n}\ninclude "x y.conf"\nk =\n',
].map((s) => te.encode(s));

export const targets: FuzzTarget[] = [
  {
    name: 'settings',
    seeds: () => seeds,
    run(input) {
      parseSettings(td.decode(input), memoryFs);
    },
  },
  {
    name: 'swanctl',
    seeds: () => seeds,
    run(input) {
      parseSwanctl(td.decode(input), memoryFs);
    },
  },
];
