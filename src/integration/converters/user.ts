import type { Entity } from '../../graph/types.js';
import type { GraphUser } from '../../microsoft/types.js';
import { entityIdentity, sameNamed } from './entity.js';
import { ENTITIES } from '../declarations.js';
import { withoutUndefined } from '../relationships.js';
import { lowerCaseList, orNull, toEpochMs } from './values.js';

export function userKey(graphUserId: string): string {
  return `${ENTITIES.USER._type}:${graphUserId}`;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A directory user with the fields the reference integration never read (`accountEnabled`,
 * `userType`, on-premises ids) and `email` as the data model's lower-cased array.
 */
export function createUserEntity(user: GraphUser): Entity {
  const upn = user.userPrincipalName ?? undefined;
  // A guest's UPN (`x_y.com#EXT#@tenant`) is not a mailbox: only `mail`/`otherMails` count then.
  const candidates = [
    user.mail,
    ...(user.otherMails ?? []),
    upn?.includes('#EXT#') ? undefined : upn,
  ];
  const email = lowerCaseList(candidates).filter((e) => EMAIL.test(e));
  const shortLoginId = upn ? upn.split('@')[0] : undefined;
  return {
    ...withoutUndefined({
      id: user.id,
      name: user.displayName ?? upn ?? user.id,
      displayName: user.displayName ?? upn ?? user.id,
      firstName: orNull(user.givenName),
      lastName: orNull(user.surname),
      email: email.length > 0 ? email : null,
      mail: user.mail ?? undefined,
      username: upn ? [upn] : null,
      shortLoginId: shortLoginId ? [shortLoginId] : null,
      userPrincipalName: upn,
      // Absent only if Graph ignored the $select; then the truth is unknown, not "active".
      active: user.accountEnabled ?? undefined,
      isActive: user.accountEnabled ?? undefined,
      isGuest: user.userType ? user.userType === 'Guest' : undefined,
      createdOn: toEpochMs(user.createdDateTime),
      ...sameNamed(user, [
        'userType',
        'employeeId',
        'employeeType',
        'jobTitle',
        'department',
        'onPremisesSecurityIdentifier',
        'onPremisesSamAccountName',
        'onPremisesDomainName',
        'onPremisesUserPrincipalName',
      ]),
    }),
    ...entityIdentity(ENTITIES.USER, userKey(user.id), user),
  };
}
