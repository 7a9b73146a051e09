import { DAY_MS, isoSeconds, type TenantContext } from './context.js';
import { cloudSid, IndexedIds } from './ids.js';
import { DEPARTMENTS, GIVEN_NAMES, GUEST_DOMAINS, JOB_TITLES, OFFICES, SURNAMES } from './names.js';
import { randomFor, Stream } from './random.js';
import type { GraphUser } from './types.js';

/** Properties `/users` returns without `$select`, in the order Graph sends them (graph-api.md §5.2). */
export const USER_DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

export type UserKind = 'hybrid' | 'cloud' | 'guest';

/**
 * What a member account is to HR: a person's own account, the admin second account of the user
 * just before it (same person), or a shared mailbox / service account (no person at all).
 */
export type AccountRole = 'person' | 'admin' | 'shared' | 'service';

/** Fixed over 40 consecutive users, on cloud-only slots, so every role exists in any tenant of 40+. */
function roleOf(index: number, rotation: number): AccountRole {
  const slot = (index + rotation) % 40;
  if ((slot === 16 || slot === 36) && index > 0) return 'admin';
  if (slot === 14) return 'shared';
  if (slot === 34) return 'service';
  return 'person';
}

const SHARED_MAILBOXES = ['reception', 'payroll', 'helpdesk', 'info'];
const SERVICE_APPS = ['build', 'backup', 'scanner', 'reports'];

/** The identity facts logons and group membership need, without building the whole object. */
export interface UserProfile {
  index: number;
  kind: UserKind;
  role: AccountRole;
  /** For an admin account: the index of the user it belongs to. */
  ownerIndex: number | null;
  givenName: string;
  surname: string;
  userPrincipalName: string;
  /** Local part of the UPN in the home domain: what an AzureAD logon on a joined machine shows. */
  cloudAccountName: string;
  samAccountName: string | null;
  sid: string | null;
  mail: string | null;
  enabled: boolean;
  isDomainAdmin: boolean;
}

/** Fixed archetype pattern over 20 consecutive users, so every kind exists in any tenant of 20+. */
function kindOf(slot: number): UserKind {
  if (slot < 12) return 'hybrid';
  if (slot < 17 || slot === 19) return 'cloud';
  return 'guest';
}

/** HR's id for the person behind a user index; admin accounts always carry their owner's. */
export function personEmployeeId(index: number): string {
  return `E${String(100000 + index)}`;
}

function employeeIdOf(p: UserProfile, recorded: boolean): string | null {
  if (p.role === 'admin') return personEmployeeId(p.ownerIndex!);
  return recorded && p.role === 'person' ? personEmployeeId(p.index) : null;
}

export class UserFactory {
  readonly ids: IndexedIds;

  constructor(private readonly ctx: TenantContext) {
    this.ids = new IndexedIds(ctx.seed, Stream.userId, 'guid');
  }

  profile(index: number): UserProfile {
    const ctx = this.ctx;
    const r = randomFor(ctx.seed, Stream.user, index);
    const slot = (index + ctx.rotation) % 20;
    const kind = kindOf(slot);
    const role = kind === 'cloud' ? roleOf(index, ctx.rotation) : 'person';
    const owner = role === 'admin' ? this.profile(index - 1) : undefined;
    let givenName: string = r.pick(GIVEN_NAMES);
    let surname: string = r.pick(SURNAMES);
    let nick = `${givenName}.${surname}${index}`.toLowerCase();
    if (owner) {
      ({ givenName, surname } = owner);
      nick = `adm-${owner.cloudAccountName}`;
    } else if (role === 'shared' || role === 'service') {
      const names = role === 'shared' ? SHARED_MAILBOXES : SERVICE_APPS;
      givenName = role === 'shared' ? 'Shared' : 'Service';
      surname = names[index % names.length]!;
      nick = `${role === 'shared' ? 'shared' : 'svc'}.${surname}${index}`;
    }
    const guestDomain = r.pick(GUEST_DOMAINS);
    const homeDomain = kind === 'cloud' && slot === 19 ? ctx.initialDomain : ctx.domain;
    const userPrincipalName =
      kind === 'guest'
        ? `${nick}_${guestDomain}#EXT#@${ctx.initialDomain}`
        : `${nick}@${homeDomain}`;
    const samBase = `${givenName[0]}${surname}`.toLowerCase();
    const suffix = String(index);
    const mailless =
      slot === 19 || role === 'admin' || (kind === 'hybrid' && (index + ctx.rotation) % 11 === 3);
    return {
      index,
      kind,
      role,
      ownerIndex: owner?.index ?? null,
      givenName,
      surname,
      userPrincipalName,
      cloudAccountName: nick,
      samAccountName: kind === 'hybrid' ? samBase.slice(0, 20 - suffix.length) + suffix : null,
      sid: kind === 'hybrid' ? `${ctx.domainSid}-${1100 + index}` : null,
      mail: mailless ? null : kind === 'guest' ? `${nick}@${guestDomain}` : `${nick}@${homeDomain}`,
      enabled: (index + ctx.rotation) % 13 !== 5,
      isDomainAdmin: kind === 'hybrid' && (index + ctx.rotation) % 40 === 7,
    };
  }

  user(index: number): GraphUser {
    const ctx = this.ctx;
    const p = this.profile(index);
    const id = this.ids.id(index);
    const r = randomFor(ctx.seed, Stream.user, index, 1);
    const member = p.kind !== 'guest';
    const created = ctx.now - r.between(30, 2000) * DAY_MS - r.int(DAY_MS);
    const hybrid = p.kind === 'hybrid';
    const upnLocal = p.userPrincipalName.split('@')[0] as string;
    return {
      businessPhones:
        member && r.chance(0.5) ? [`+1 425 555 ${String(r.int(10000)).padStart(4, '0')}`] : [],
      displayName:
        p.kind === 'guest'
          ? `${p.givenName} ${p.surname} (Guest)`
          : p.role === 'admin'
            ? `${p.givenName} ${p.surname} (Admin)`
            : `${p.givenName} ${p.surname}`,
      givenName: p.givenName,
      jobTitle: member ? r.pick(JOB_TITLES) : null,
      mail: p.mail,
      mobilePhone:
        member && r.chance(0.3) ? `+1 206 555 ${String(r.int(10000)).padStart(4, '0')}` : null,
      officeLocation: member ? r.pick(OFFICES) : null,
      preferredLanguage: member ? 'en-US' : null,
      surname: p.surname,
      userPrincipalName: p.userPrincipalName,
      id,
      accountEnabled: p.enabled,
      ageGroup: null,
      city: member ? r.pick(OFFICES) : null,
      companyName: member ? ctx.orgName : null,
      createdDateTime: isoSeconds(created),
      creationType: p.kind === 'guest' ? 'Invitation' : null,
      department: member ? r.pick(DEPARTMENTS) : null,
      employeeHireDate: member ? isoSeconds(created) : null,
      employeeId: employeeIdOf(p, member && r.chance(0.7)),
      employeeType:
        !member || p.role === 'shared' ? null : p.role === 'service' ? 'Service' : 'Employee',
      externalUserState:
        p.kind === 'guest' ? (r.chance(0.8) ? 'Accepted' : 'PendingAcceptance') : null,
      identities: [
        {
          signInType: 'userPrincipalName',
          issuer: ctx.initialDomain,
          issuerAssignedId: p.userPrincipalName,
        },
      ],
      lastPasswordChangeDateTime: isoSeconds(created + r.int(30) * DAY_MS),
      mailNickname: p.kind === 'guest' ? upnLocal : p.cloudAccountName,
      onPremisesDistinguishedName: hybrid
        ? `CN=${p.givenName} ${p.surname},OU=Users,${ctx.adDomain
            .split('.')
            .map((part) => `DC=${part}`)
            .join(',')}`
        : null,
      onPremisesDomainName: hybrid ? ctx.adDomain : null,
      onPremisesImmutableId: hybrid
        ? Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64')
        : null,
      onPremisesLastSyncDateTime: hybrid ? isoSeconds(ctx.now - r.int(DAY_MS)) : null,
      onPremisesSamAccountName: p.samAccountName,
      onPremisesSecurityIdentifier: p.sid,
      onPremisesSyncEnabled: hybrid ? true : null,
      onPremisesUserPrincipalName: hybrid ? `${p.samAccountName}@${ctx.adDomain}` : null,
      otherMails: [],
      proxyAddresses: p.mail ? [`SMTP:${p.mail}`] : [],
      securityIdentifier: cloudSid(id),
      usageLocation: member ? 'US' : null,
      userType: member ? 'Member' : 'Guest',
    };
  }
}
