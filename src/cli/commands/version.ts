import { readFileSync } from 'node:fs';
import type { Command } from '../command.ts';

export const command: Command = {
  summary: 'print the version, Node.js and OpenSSL versions',
  usage: 'attestd version',
  async run() {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    console.log(`attestd ${pkg.version} (node ${process.versions.node}, openssl ${process.versions.openssl})`);
    return 0;
  },
};
