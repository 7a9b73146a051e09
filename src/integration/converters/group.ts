import type { Entity, GraphRelationship } from '../../graph/types.js';
import type { GraphDirectoryObject, GraphGroup } from '../../microsoft/types.js';
import { entityIdentity, sameNamed } from './entity.js';
import { ENTITIES, MAPPED_TARGETS } from '../declarations.js';
import { directRelationship, mappedRelationship, withoutUndefined } from '../relationships.js';
import { userKey } from './user.js';
import { toEpochMs } from './values.js';

export function groupKey(graphGroupId: string): string {
  return `${ENTITIES.GROUP._type}:${graphGroupId}`;
}

export function createGroupEntity(group: GraphGroup): Entity {
  const email = group.mail?.toLowerCase();
  return {
    ...withoutUndefined({
      id: group.id,
      name: group.displayName ?? group.id,
      displayName: group.displayName ?? group.id,
      email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined,
      createdOn: toEpochMs(group.createdDateTime),
      ...sameNamed(group, [
        'description',
        'mailEnabled',
        'securityEnabled',
        'groupTypes',
        'visibility',
        'onPremisesSyncEnabled',
        'onPremisesSecurityIdentifier',
        'securityIdentifier',
      ]),
    }),
    ...entityIdentity(ENTITIES.GROUP, groupKey(group.id), group),
  };
}

/** Directory object kinds that are not ours: recorded as mapped relationships, never dropped. */
const OTHER_MEMBER_TARGETS: Record<string, { _type: string }> = {
  '#microsoft.graph.device': MAPPED_TARGETS.AZURE_DEVICE,
  '#microsoft.graph.servicePrincipal': MAPPED_TARGETS.AZURE_SERVICE_PRINCIPAL,
  '#microsoft.graph.orgContact': MAPPED_TARGETS.AZURE_ORG_CONTACT,
};

/** UserGroup HAS User / UserGroup for users and nested groups; other kinds as mapped targets. */
export function createGroupMemberRelationship(
  group: Pick<Entity, '_key' | '_type'>,
  member: GraphDirectoryObject,
): GraphRelationship {
  const memberType = member['@odata.type'];
  if (memberType === '#microsoft.graph.user') {
    return directRelationship('HAS', group, {
      _type: ENTITIES.USER._type,
      _key: userKey(member.id),
    });
  }
  if (memberType === '#microsoft.graph.group') {
    return directRelationship('HAS', group, {
      _type: ENTITIES.GROUP._type,
      _key: groupKey(member.id),
    });
  }
  const target = OTHER_MEMBER_TARGETS[memberType] ?? MAPPED_TARGETS.AZURE_DIRECTORY_OBJECT;
  return mappedRelationship({
    relationshipClass: 'HAS',
    source: group,
    target: { _type: target._type, _key: member.id, id: member.id },
    skipTargetCreation: true,
    properties: { memberType: memberType.replace('#microsoft.graph.', '') },
  });
}
