import { DAY_MS, isoSeconds, type TenantContext } from './context.js';
import type { Organization } from './types.js';

export function organizationOf(ctx: TenantContext): Organization {
  return {
    id: ctx.tenantId,
    deletedDateTime: null,
    businessPhones: ['+1 425 555 0100'],
    city: 'Redmond',
    country: null,
    countryLetterCode: 'US',
    createdDateTime: isoSeconds(ctx.now - 1500 * DAY_MS),
    defaultUsageLocation: null,
    displayName: ctx.orgName,
    isMultipleDataLocationsForServicesEnabled: null,
    marketingNotificationEmails: [],
    onPremisesLastSyncDateTime: isoSeconds(ctx.now - 3_600_000),
    onPremisesSyncEnabled: true,
    partnerTenantType: null,
    postalCode: '98052',
    preferredLanguage: 'en',
    securityComplianceNotificationMails: [],
    securityComplianceNotificationPhones: [],
    state: 'WA',
    street: '1 Main Street',
    technicalNotificationMails: [`admin@${ctx.initialDomain}`],
    tenantType: 'AAD',
    directorySizeQuota: { used: ctx.sizes.users + ctx.sizes.groups, total: 300000 },
    assignedPlans: [
      {
        assignedDateTime: isoSeconds(ctx.now - 400 * DAY_MS),
        capabilityStatus: 'Enabled',
        service: 'WindowsDefenderATP',
        servicePlanId: '871d91ec-ec1a-452b-a83f-bd76c7d770ef',
      },
    ],
    onPremisesSyncStatus: [],
    privacyProfile: { contactEmail: '', statementUrl: '' },
    provisionedPlans: [],
    verifiedDomains: [
      {
        capabilities: 'Email, OfficeCommunicationsOnline',
        isDefault: false,
        isInitial: true,
        name: ctx.initialDomain,
        type: 'Managed',
      },
      {
        capabilities: 'Email, OfficeCommunicationsOnline',
        isDefault: true,
        isInitial: false,
        name: ctx.domain,
        type: 'Federated',
      },
    ],
  };
}
