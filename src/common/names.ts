/**
 * Spec-named constants are `as const` objects (TypeScript enums are not erasable syntax). `reverse` builds the
 * value → name table used in logs and error messages.
 */

export type ValueOf<T> = T[keyof T];

export function reverse<T extends Record<string, number>>(table: T): ReadonlyMap<number, keyof T & string> {
  const m = new Map<number, keyof T & string>();
  for (const [k, v] of Object.entries(table)) if (!m.has(v)) m.set(v, k as keyof T & string);
  return m;
}

/** `NAME(value)` if known, else the number, for logs. */
export function nameOf(table: ReadonlyMap<number, string>, value: number): string {
  const n = table.get(value);
  return n === undefined ? `${value}` : `${n}(${value})`;
}
