/** Loads a JSON vector file from test/vectors/crypto (test helper, not a test). */
import { readFileSync } from 'node:fs';

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../vectors/crypto/${name}`, import.meta.url), 'utf8')) as T;
}
