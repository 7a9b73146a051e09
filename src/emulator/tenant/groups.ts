import { DAY_MS, isoSeconds, type TenantContext } from './context.js';
import { cloudSid, IndexedIds, randomGuid } from './ids.js';
import { GROUP_TOPICS, SERVICE_PRINCIPALS } from './names.js';
import { randomFor, Stream, type Random } from './random.js';
import type { DirectoryObjectType, GraphGroup } from './types.js';

/** A directory object by kind and generator index; members are stored as these, not as objects. */
export interface MemberRef {
  type: DirectoryObjectType;
  index: number;
}

type GroupKind = 'security' | 'unified' | 'synced' | 'dynamic' | 'mailSecurity';
const GROUP_KINDS: GroupKind[] = [
  'security',
  'unified',
  'synced',
  'security',
  'dynamic',
  'mailSecurity',
];

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** k distinct indexes in [0, n) from a random start and a stride coprime with n: O(k), no retries. */
export function distinctIndexes(r: Random, n: number, k: number): number[] {
  if (n <= 0) return [];
  const start = r.int(n);
  let step = 1 + r.int(n);
  while (gcd(step, n) !== 1) step++;
  const out: number[] = [];
  for (let j = 0; j < Math.min(k, n); j++) out.push((start + j * step) % n);
  return out;
}

export class GroupFactory {
  readonly ids: IndexedIds;

  constructor(
    private readonly ctx: TenantContext,
    private readonly deviceCount: number,
  ) {
    this.ids = new IndexedIds(ctx.seed, Stream.groupId, 'guid');
  }

  private slot(index: number): number {
    return index + this.ctx.rotation;
  }

  group(index: number): GraphGroup {
    const ctx = this.ctx;
    const r = randomFor(ctx.seed, Stream.group, index);
    const kind = GROUP_KINDS[this.slot(index) % GROUP_KINDS.length] as GroupKind;
    const id = this.ids.id(index);
    const displayName = `${r.pick(GROUP_TOPICS)} ${index}`;
    const nickname = displayName.toLowerCase().replace(/[^a-z0-9]/g, '');
    const mailEnabled = kind === 'unified' || kind === 'mailSecurity';
    const synced = kind === 'synced';
    const created = ctx.now - r.between(10, 1500) * DAY_MS;
    return {
      id,
      deletedDateTime: null,
      classification: null,
      createdDateTime: isoSeconds(created),
      creationOptions: kind === 'unified' ? ['YammerProvisioning'] : [],
      description: `${displayName} (${kind})`,
      displayName,
      expirationDateTime: null,
      groupTypes:
        kind === 'unified' ? ['Unified'] : kind === 'dynamic' ? ['DynamicMembership'] : [],
      isAssignableToRole: kind === 'security' && r.chance(0.2) ? true : null,
      mail: mailEnabled ? `${nickname}@${ctx.domain}` : null,
      mailEnabled,
      mailNickname: nickname,
      membershipRule: kind === 'dynamic' ? `(user.department -eq "${r.pick(GROUP_TOPICS)}")` : null,
      membershipRuleProcessingState: kind === 'dynamic' ? 'On' : null,
      onPremisesDomainName: synced ? ctx.adDomain : null,
      onPremisesLastSyncDateTime: synced ? isoSeconds(ctx.now - r.int(DAY_MS)) : null,
      onPremisesNetBiosName: synced ? ctx.netbios : null,
      onPremisesSamAccountName: synced ? nickname.slice(0, 20) : null,
      onPremisesSecurityIdentifier: synced ? `${ctx.domainSid}-${500000 + index}` : null,
      onPremisesSyncEnabled: synced ? true : null,
      preferredDataLocation: null,
      preferredLanguage: null,
      proxyAddresses: mailEnabled ? [`SMTP:${nickname}@${ctx.domain}`] : [],
      renewedDateTime: isoSeconds(created),
      resourceBehaviorOptions: [],
      resourceProvisioningOptions: kind === 'unified' ? ['Team'] : [],
      securityEnabled: kind !== 'unified',
      securityIdentifier: cloudSid(id),
      theme: null,
      uniqueName: null,
      visibility: kind === 'unified' ? r.pick(['Private', 'Public']) : null,
      onPremisesProvisioningErrors: [],
      serviceProvisioningErrors: [],
    };
  }

  /**
   * The members a group starts with: users, and by a fixed pattern nested groups (always of a
   * higher index, so nesting has no cycles), Entra devices, a service principal and an org contact.
   */
  baseMembers(index: number): MemberRef[] {
    const { sizes, seed } = this.ctx;
    const r = randomFor(seed, Stream.groupMembers, index);
    const slot = this.slot(index);
    // Each user is in about four groups; the cap keeps one group's member list cheap to build.
    const average = Math.min(
      1000,
      Math.max(2, Math.ceil((4 * sizes.users) / Math.max(1, sizes.groups))),
    );
    const userCount = r.between(1, 2 * average);
    const members: MemberRef[] = distinctIndexes(r, sizes.users, userCount).map((i) => ({
      type: 'user',
      index: i,
    }));
    const laterGroups = sizes.groups - index - 1;
    if (slot % 4 === 1 && laterGroups > 0) {
      for (const offset of distinctIndexes(r, laterGroups, r.between(1, 2))) {
        members.push({ type: 'group', index: index + 1 + offset });
      }
    }
    if (slot % 5 === 2 && this.deviceCount > 0) {
      for (const i of distinctIndexes(r, this.deviceCount, r.between(1, 3)))
        members.push({ type: 'device', index: i });
    }
    if (slot % 6 === 3)
      members.push({ type: 'servicePrincipal', index: index % SERVICE_PRINCIPALS.length });
    if (slot % 6 === 4) members.push({ type: 'orgContact', index });
    return members;
  }

  servicePrincipal(index: number): Record<string, string | boolean | string[] | null> {
    const ctx = this.ctx;
    return {
      id: randomGuid(ctx.seed, Stream.servicePrincipalId, index),
      accountEnabled: true,
      appDisplayName: SERVICE_PRINCIPALS[index] ?? `App ${index}`,
      appId: randomGuid(ctx.seed, Stream.servicePrincipal, index),
      appOwnerOrganizationId: ctx.tenantId,
      displayName: SERVICE_PRINCIPALS[index] ?? `App ${index}`,
      servicePrincipalNames: [randomGuid(ctx.seed, Stream.servicePrincipal, index)],
      servicePrincipalType: 'Application',
      signInAudience: 'AzureADMyOrg',
      tags: [],
    };
  }

  orgContact(index: number): Record<string, string | string[] | null> {
    const ctx = this.ctx;
    const r = randomFor(ctx.seed, Stream.orgContact, index);
    const name = `Contact ${index}`;
    return {
      id: randomGuid(ctx.seed, Stream.orgContactId, index),
      companyName: r.pick(['Fabrikam', 'Woodgrove', 'Alpine Ski House']),
      displayName: name,
      givenName: 'Contact',
      surname: String(index),
      mail: `contact${index}@${r.pick(['fabrikam.com', 'woodgrove.example'])}`,
      mailNickname: `contact${index}`,
      proxyAddresses: [],
    };
  }
}
