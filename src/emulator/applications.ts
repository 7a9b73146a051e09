import { createHash, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An API the emulator issues tokens for, and the application permissions (roles) it defines. */
export type ResourceApi = 'graph' | 'defender' | 'other';

const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
const DEFENDER_AUDIENCE = 'https://api.securitycenter.microsoft.com';

/**
 * Resource identifiers the token endpoint accepts (a v2 scope is `<resource>/.default`, a v1 request
 * sends `resource=`). The two extra Defender values are the older app-id URI and the resource app id
 * (defender-api.md §1.3); the Defender XDR resource is real but is not the MDE API, so its tokens
 * carry no roles and get 403 there (§1.1).
 */
const RESOURCES: Record<string, ResourceApi> = {
  [GRAPH_AUDIENCE]: 'graph',
  '00000003-0000-0000-c000-000000000000': 'graph',
  [DEFENDER_AUDIENCE]: 'defender',
  'https://securitycenter.onmicrosoft.com/windowsatpservice': 'defender',
  'fc780465-2017-40d4-a0c5-307022471b92': 'defender',
  'https://api.security.microsoft.com': 'other',
};

export function resourceApi(resource: string): ResourceApi | undefined {
  return RESOURCES[resource.replace(/\/+$/, '')];
}

/** Application permissions granted (admin-consented) to the emulated app by default. */
export const DEFAULT_ROLES: Record<ResourceApi, readonly string[]> = {
  graph: [
    'Organization.Read.All',
    'User.Read.All',
    'Group.Read.All',
    'GroupMember.Read.All',
    'Directory.Read.All',
    'Device.Read.All',
  ],
  defender: ['Machine.Read.All', 'User.Read.All', 'Vulnerability.Read.All', 'Software.Read.All'],
  other: [],
};

export interface RegisteredApp {
  clientId: string;
  displayName: string;
  /** Current secret; undefined when the app only has an expired one. */
  secret?: string;
  expiredSecret?: string;
  certificate?: X509Certificate;
}

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}

export interface ApplicationRegistry {
  main: RegisteredApp & { secret: string; certificate: X509Certificate };
  expiredSecretApp: RegisteredApp & { expiredSecret: string };
  byClientId(clientId: string): RegisteredApp | undefined;
  /** The application permissions consented for `api`: the defaults plus those granted at start. */
  grantedRoles(api: ResourceApi): readonly string[];
}

/** A GUID derived from the seed, so client ids stay the same across restarts with the same seed. */
function seededGuid(seed: number, label: string): string {
  const h = createHash('sha256').update(`${label}:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const SECRETS_FILE = 'app-secrets.json';

/** Secrets are random, made once per data directory, so a written config keeps working after restarts. */
function loadSecrets(dataDir: string): { main: string; expired: string } {
  const file = join(dataDir, SECRETS_FILE);
  if (existsSync(file))
    return JSON.parse(readFileSync(file, 'utf8')) as { main: string; expired: string };
  const secret = () => randomBytes(30).toString('base64url');
  const secrets = { main: secret(), expired: secret() };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

export function createApplicationRegistry(
  seed: number,
  dataDir: string,
  clientCertPem: string,
  /** Roles granted beyond DEFAULT_ROLES (e.g. Defender `AdvancedQuery.Read.All`). */
  extraRoles: Partial<Record<ResourceApi, readonly string[]>> = {},
): ApplicationRegistry {
  const secrets = loadSecrets(dataDir);
  const main = {
    clientId: seededGuid(seed, 'app'),
    displayName: 'defender-graph collector',
    secret: secrets.main,
    certificate: new X509Certificate(clientCertPem),
  };
  const expiredSecretApp = {
    clientId: seededGuid(seed, 'expired-secret-app'),
    displayName: 'app with an expired secret',
    expiredSecret: secrets.expired,
  };
  const apps = new Map<string, RegisteredApp>([
    [main.clientId, main],
    [expiredSecretApp.clientId, expiredSecretApp],
  ]);
  return {
    main,
    expiredSecretApp,
    byClientId: (id) => apps.get(id.toLowerCase()),
    grantedRoles: (api) => [...DEFAULT_ROLES[api], ...(extraRoles[api] ?? [])],
  };
}

export function secretsEqual(given: string, expected: string | undefined): boolean {
  if (expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
