import type { Entity, Relationship } from '../../graph/types.js';
import { directRelationship } from '../relationships.js';

export type MatchedOn = 'sid' | 'samAccountName+domain' | 'userPrincipalName';

/** The directory-user fields the matcher needs. */
export interface DirectoryUserIdentity {
  key: string;
  onPremisesSecurityIdentifier?: string;
  onPremisesSamAccountName?: string;
  onPremisesDomainName?: string;
  userPrincipalName?: string;
}

export interface LogonUserIdentity {
  key: string;
  accountName: string;
  accountDomain: string;
  accountSid?: string;
}

/**
 * Indexes directory users three ways so each logon user is matched in O(1): by SID, by
 * sAMAccountName + NetBIOS domain (first label of the on-premises DNS domain), and by UPN prefix.
 * A UPN prefix shared by several users matches none (ambiguous).
 */
export class DirectoryUserIndex {
  private readonly bySid = new Map<string, string>();
  private readonly bySamAndDomain = new Map<string, string>();
  private readonly byUpnPrefix = new Map<string, string | null>();

  add(user: DirectoryUserIdentity): void {
    if (user.onPremisesSecurityIdentifier) {
      this.bySid.set(user.onPremisesSecurityIdentifier.toUpperCase(), user.key);
    }
    if (user.onPremisesSamAccountName && user.onPremisesDomainName) {
      const netbios = user.onPremisesDomainName.split('.')[0]!;
      for (const domain of [netbios, user.onPremisesDomainName]) {
        this.bySamAndDomain.set(samKey(domain, user.onPremisesSamAccountName), user.key);
      }
    }
    const prefix = user.userPrincipalName?.split('@')[0]?.toLowerCase();
    if (prefix) this.byUpnPrefix.set(prefix, this.byUpnPrefix.has(prefix) ? null : user.key);
  }

  match(logonUser: LogonUserIdentity): { userKey: string; matchedOn: MatchedOn } | undefined {
    const bySid = logonUser.accountSid
      ? this.bySid.get(logonUser.accountSid.toUpperCase())
      : undefined;
    if (bySid) return { userKey: bySid, matchedOn: 'sid' };
    const bySam = this.bySamAndDomain.get(samKey(logonUser.accountDomain, logonUser.accountName));
    if (bySam) return { userKey: bySam, matchedOn: 'samAccountName+domain' };
    const byUpn = this.byUpnPrefix.get(logonUser.accountName.toLowerCase());
    if (byUpn) return { userKey: byUpn, matchedOn: 'userPrincipalName' };
    return undefined;
  }
}

function samKey(domain: string, account: string): string {
  return `${domain}\\${account}`.toLowerCase();
}

export function directoryUserIdentity(user: Entity): DirectoryUserIdentity {
  const text = (name: string) =>
    typeof user[name] === 'string' ? (user[name] as string) : undefined;
  return {
    key: user._key,
    onPremisesSecurityIdentifier: text('onPremisesSecurityIdentifier'),
    onPremisesSamAccountName: text('onPremisesSamAccountName'),
    onPremisesDomainName: text('onPremisesDomainName'),
    userPrincipalName: text('userPrincipalName'),
  };
}

export function logonUserIdentity(logonUser: Entity): LogonUserIdentity {
  return {
    key: logonUser._key,
    accountName: String(logonUser.accountName ?? ''),
    accountDomain: String(logonUser.accountDomain ?? ''),
    accountSid: typeof logonUser.accountSid === 'string' ? logonUser.accountSid : undefined,
  };
}

export function createLogonUserIsUserRelationship(
  logonUser: Pick<Entity, '_key' | '_type'>,
  user: Pick<Entity, '_key' | '_type'>,
  matchedOn: MatchedOn,
): Relationship {
  return directRelationship('IS', logonUser, user, { matchedOn });
}
