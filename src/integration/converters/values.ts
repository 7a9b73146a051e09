/** Small value normalisers shared by the converters. All pure. */

/** ISO-8601 string → epoch ms; null/garbage → undefined (the property is then left out). */
export function toEpochMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Lower-cased, trimmed, distinct, non-empty strings. */
export function lowerCaseList(values: (string | null | undefined)[]): string[] {
  return distinct(
    values
      .map((v) => v?.trim().toLowerCase())
      .filter((v): v is string => v !== undefined && v !== ''),
  );
}

/** `null` stays `null`, `undefined` becomes `null`: data-model fields that must be present. */
export function orNull<T>(value: T | null | undefined): T | null {
  return value ?? null;
}
