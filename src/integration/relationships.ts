import type {
  Entity,
  MappedRelationship,
  PropertyValue,
  Relationship,
  RelationshipDirection,
} from '../graph/types.js';

type EntityRef = Pick<Entity, '_type' | '_key'>;
type Properties = Record<string, PropertyValue | undefined>;

/**
 * The J1 SDK's relationship `_type`: `{fromType}_{class}_{toType}` with the leading `_`-parts the
 * two types share dropped from the target (`microsoft_defender_user_group_has_user`).
 */
export function relationshipType(
  relationshipClass: string,
  fromType: string,
  toType: string,
): string {
  const fromParts = fromType.split('_');
  const toParts = toType.split('_');
  let shared = 0;
  while (shared < toParts.length - 1 && toParts[shared] === fromParts[shared]) shared++;
  return `${fromType}_${relationshipClass.toLowerCase()}_${toParts.slice(shared).join('_')}`;
}

export function relationshipKey(fromKey: string, relationshipClass: string, toKey: string): string {
  return `${fromKey}|${relationshipClass.toLowerCase()}|${toKey}`;
}

export function directRelationship(
  relationshipClass: string,
  from: EntityRef,
  to: EntityRef,
  properties: Properties = {},
): Relationship {
  return {
    ...withoutUndefined(properties),
    _key: relationshipKey(from._key, relationshipClass, to._key),
    _type: relationshipType(relationshipClass, from._type, to._type),
    _class: relationshipClass,
    _fromEntityKey: from._key,
    _toEntityKey: to._key,
    displayName: relationshipClass,
  };
}

/** A relationship to an entity we do not own, found (or created) by the store's mapper. */
export function mappedRelationship(options: {
  relationshipClass: string;
  source: EntityRef;
  target: { _type: string; _key: string } & Record<string, PropertyValue>;
  direction?: RelationshipDirection;
  skipTargetCreation?: boolean;
  properties?: Properties;
}): MappedRelationship {
  const { relationshipClass, source, target } = options;
  return {
    ...withoutUndefined(options.properties ?? {}),
    _key: relationshipKey(source._key, relationshipClass, target._key),
    _type: relationshipType(relationshipClass, source._type, target._type),
    _class: relationshipClass,
    displayName: relationshipClass,
    _mapping: {
      relationshipDirection: options.direction ?? 'FORWARD',
      sourceEntityKey: source._key,
      targetFilterKeys: [['_type', '_key']],
      targetEntity: target,
      ...(options.skipTargetCreation ? { skipTargetCreation: true } : {}),
    },
  };
}

export function withoutUndefined<T extends Record<string, unknown>>(
  properties: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(properties).filter(([, value]) => value !== undefined),
  ) as { [K in keyof T]: Exclude<T[K], undefined> };
}
