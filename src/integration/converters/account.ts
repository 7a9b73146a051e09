import type { Entity } from '../../graph/types.js';
import type { GraphOrganization } from '../../microsoft/types.js';
import { entityIdentity } from './entity.js';
import { ENTITIES } from '../declarations.js';
import { withoutUndefined } from '../relationships.js';
import { toEpochMs } from './values.js';

export function accountKey(tenantId: string): string {
  return `${ENTITIES.ACCOUNT._type}:${tenantId}`;
}

/** The tenant, from Graph `/organization` (its `id` is the tenant id). */
export function createAccountEntity(organization: GraphOrganization, instanceName: string): Entity {
  const domains = organization.verifiedDomains ?? [];
  const defaultDomain = domains.find((d) => d.isDefault)?.name;
  return {
    ...withoutUndefined({
      id: organization.id,
      name: instanceName,
      displayName: organization.displayName ?? instanceName,
      organizationName: organization.displayName ?? undefined,
      vendor: 'Microsoft',
      tenantId: organization.id,
      tenantType: organization.tenantType ?? undefined,
      defaultDomain,
      verifiedDomains: domains.map((d) => d.name),
      createdOn: toEpochMs(organization.createdDateTime),
      webLink: 'https://security.microsoft.com',
    }),
    ...entityIdentity(ENTITIES.ACCOUNT, accountKey(organization.id), organization),
  };
}
