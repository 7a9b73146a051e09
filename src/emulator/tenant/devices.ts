import { DAY_MS, isoSeconds, type TenantContext } from './context.js';
import { IndexedIds, randomGuid } from './ids.js';
import type { MachineFactory } from './machines.js';
import { randomFor, Stream } from './random.js';
import type { GraphDevice } from './types.js';

/** Default `/devices` properties in Graph's order (graph-api.md §5.5). */
export const DEVICE_DEFAULT_PROPERTIES = [
  'id',
  'deletedDateTime',
  'accountEnabled',
  'approximateLastSignInDateTime',
  'complianceExpirationDateTime',
  'createdDateTime',
  'deviceCategory',
  'deviceId',
  'deviceMetadata',
  'deviceOwnership',
  'deviceVersion',
  'displayName',
  'domainName',
  'enrollmentProfileName',
  'enrollmentType',
  'externalSourceName',
  'isCompliant',
  'isManaged',
  'isRooted',
  'managementType',
  'manufacturer',
  'mdmAppId',
  'model',
  'onPremisesLastSyncDateTime',
  'onPremisesSyncEnabled',
  'operatingSystem',
  'operatingSystemVersion',
  'physicalIds',
  'profileType',
  'registrationDateTime',
  'sourceType',
  'systemLabels',
  'trustType',
  'extensionAttributes',
  'alternativeSecurityIds',
] as const;

/**
 * Entra devices: first one per Entra-registered machine (same `deviceId` as the machine's
 * `aadDeviceId`), then phones and tablets Defender never sees. The set does not churn.
 */
export class DeviceFactory {
  readonly ids: IndexedIds;
  readonly linkedCount: number;
  readonly count: number;

  constructor(
    private readonly ctx: TenantContext,
    private readonly machines: MachineFactory,
  ) {
    this.ids = new IndexedIds(ctx.seed, Stream.deviceId, 'guid');
    const m = ctx.sizes.machines;
    this.linkedCount = Math.floor(m / 5) * 3 + Math.min(m % 5, 3);
    this.count = this.linkedCount + Math.ceil(m / 20);
  }

  /** Inverse of MachineFactory.linkedDeviceIndex. */
  machineIndexOf(deviceIndex: number): number | undefined {
    if (deviceIndex >= this.linkedCount) return undefined;
    return Math.floor(deviceIndex / 3) * 5 + (deviceIndex % 3);
  }

  device(index: number): GraphDevice {
    const ctx = this.ctx;
    const r = randomFor(ctx.seed, Stream.device, index);
    const machineIndex = this.machineIndexOf(index);
    const machine = machineIndex === undefined ? undefined : this.machines.profile(machineIndex);
    const windows = machine?.os.family === 'windows';
    const trustType = machine
      ? machine.os.server
        ? 'ServerAd'
        : r.pick(['AzureAd', 'ServerAd'])
      : 'Workplace';
    const mobileOs = r.pick(['iOS', 'Android']);
    const operatingSystem = machine
      ? windows
        ? 'Windows'
        : machine.os.family === 'mac'
          ? 'MacMDM'
          : 'Linux'
      : mobileOs;
    const registered = ctx.now - r.between(30, 900) * DAY_MS;
    return {
      id: this.ids.id(index),
      deletedDateTime: null,
      accountEnabled: r.chance(0.95),
      approximateLastSignInDateTime: isoSeconds(ctx.now - r.int(60) * DAY_MS),
      complianceExpirationDateTime: null,
      createdDateTime: isoSeconds(registered),
      deviceCategory: null,
      deviceId: machine?.aadDeviceId ?? randomGuid(ctx.seed, Stream.deviceRegistrationId, index, 1),
      deviceMetadata: null,
      deviceOwnership: machine ? 'Company' : 'Personal',
      deviceVersion: 2,
      displayName: machine
        ? machine.hostName.toUpperCase()
        : `${mobileOs === 'iOS' ? 'iPhone' : 'Pixel'}-${r.hex(4)}`,
      domainName: trustType === 'ServerAd' ? ctx.adDomain : null,
      enrollmentProfileName: null,
      enrollmentType: machine ? 'AzureDomainJoined' : 'UserEnrollment',
      externalSourceName: null,
      isCompliant: r.chance(0.85),
      isManaged: machine !== undefined || r.chance(0.5),
      isRooted: false,
      managementType: machine ? 'MDM' : null,
      manufacturer: machine
        ? r.pick(['Dell Inc.', 'LENOVO', 'HP', 'Microsoft Corporation'])
        : mobileOs === 'iOS'
          ? 'Apple'
          : 'Google',
      mdmAppId: machine ? '0000000a-0000-0000-c000-000000000000' : null,
      model: machine
        ? r.pick(['Latitude 7440', 'ThinkPad T14', 'EliteBook 840', 'Surface Laptop 5'])
        : null,
      onPremisesLastSyncDateTime:
        trustType === 'ServerAd' ? isoSeconds(ctx.now - r.int(DAY_MS)) : null,
      onPremisesSyncEnabled: trustType === 'ServerAd' ? true : null,
      operatingSystem,
      operatingSystemVersion: machine?.os.osBuild
        ? `10.0.${machine.os.osBuild}.${r.between(1000, 5000)}`
        : (machine?.os.version ?? '17.5'),
      physicalIds: machine ? [`[ZDID]:${randomGuid(ctx.seed, Stream.device, index, 1)}`] : [],
      profileType: 'RegisteredDevice',
      registrationDateTime: isoSeconds(registered),
      sourceType: null,
      systemLabels: [],
      trustType,
      extensionAttributes: Object.fromEntries(
        Array.from({ length: 15 }, (_, i) => [`extensionAttribute${i + 1}`, null]),
      ),
      alternativeSecurityIds: [
        { type: 2, identityProvider: null, key: Buffer.from(r.hex(40), 'hex').toString('base64') },
      ],
    };
  }
}
