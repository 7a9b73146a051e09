import type { Entity, Relationship } from '../../graph/types.js';
import type { DefenderLogonUser } from '../../microsoft/types.js';
import { entityIdentity } from './entity.js';
import { ENTITIES } from '../declarations.js';
import { directRelationship, withoutUndefined } from '../relationships.js';
import { toEpochMs } from './values.js';

/** One key per `DOMAIN\account` across machines, lower-cased (accounts are case-insensitive). */
export function logonUserKey(domain: string, accountName: string): string {
  return `${ENTITIES.LOGON_USER._type}:${domain}\\${accountName}`.toLowerCase();
}

/**
 * One account's records from several machines, merged so the result does not depend on the order
 * machines answer in: the SID from any record that has one (Defender often omits it; two machines
 * of one host name report different local SIDs, and the least is kept), domain admin if any
 * machine says so. Per-machine facts stay on the HAS relationship.
 */
export function mergeLogonUserRecords(
  known: DefenderLogonUser,
  other: DefenderLogonUser,
): DefenderLogonUser {
  const sids = [known.accountSid, other.accountSid].filter((sid): sid is string => !!sid).sort();
  return {
    ...known,
    accountSid: sids[0] ?? known.accountSid ?? other.accountSid,
    isDomainAdmin: Boolean(known.isDomainAdmin) || Boolean(other.isDomainAdmin),
  };
}

export function createLogonUserEntity(logonUser: DefenderLogonUser): Entity {
  const { accountDomain, accountName } = logonUser;
  const name = `${accountDomain}\\${accountName}`;
  return {
    ...withoutUndefined({
      id: logonUser.id,
      name,
      displayName: name,
      firstName: null,
      lastName: null,
      email: null,
      username: [name],
      shortLoginId: [accountName],
      accountName,
      accountDomain,
      accountSid: logonUser.accountSid ?? undefined,
      isDomainAdmin: logonUser.isDomainAdmin ?? undefined,
    }),
    ...entityIdentity(ENTITIES.LOGON_USER, logonUserKey(accountDomain, accountName), logonUser),
  };
}

/** Machine HAS logon user, per pair, with what Defender says about that machine's logons. */
export function createMachineLogonUserRelationship(
  machine: Pick<Entity, '_key' | '_type'>,
  logonUser: DefenderLogonUser,
): Relationship {
  return directRelationship(
    'HAS',
    machine,
    {
      _type: ENTITIES.LOGON_USER._type,
      _key: logonUserKey(logonUser.accountDomain, logonUser.accountName),
    },
    {
      firstSeenOn: toEpochMs(logonUser.firstSeen),
      lastSeenOn: toEpochMs(logonUser.lastSeen),
      logonTypes: logonUser.logonTypes
        ? logonUser.logonTypes
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : undefined,
      isDomainAdmin: logonUser.isDomainAdmin ?? undefined,
      isOnlyNetworkUser: logonUser.isOnlyNetworkUser ?? undefined,
      // The SID this machine reports: a local account of one host name differs per machine.
      accountSid: logonUser.accountSid ?? undefined,
    },
  );
}
