import type { Entity } from '../../graph/types.js';

/** The part of every entity the declaration fixes: `_key`, the declared `_type`/`_class`, raw data. */
export function entityIdentity(
  declaration: { _type: string; _class: readonly string[] },
  key: string,
  rawData?: object,
): Pick<Entity, '_key' | '_type' | '_class' | '_rawData'> {
  return {
    _key: key,
    _type: declaration._type,
    _class: [...declaration._class],
    ...(rawData === undefined ? {} : { _rawData: [{ name: 'default', rawData }] }),
  };
}

/** The named API fields kept under their own names; `null` becomes absent. */
export function sameNamed<T extends object, const K extends keyof T>(
  source: T,
  names: readonly K[],
): { [P in K]: NonNullable<T[P]> | undefined } {
  return Object.fromEntries(names.map((name) => [name, source[name] ?? undefined])) as {
    [P in K]: NonNullable<T[P]> | undefined;
  };
}
