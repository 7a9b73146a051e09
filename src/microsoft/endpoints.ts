import { ConfigError } from '../config/load.js';

/**
 * Every Microsoft endpoint the collector calls, as data: its counting label, pacing bucket, the
 * permission a 403 means is missing, and the Graph resource-unit cost (graph-api.md §7).
 */
export interface EndpointSpec {
  api: 'graph' | 'defender';
  /** Counting label, e.g. `defender GET /api/machines`. */
  label: string;
  /** Pacing bucket (shared by endpoints that share a Microsoft quota). */
  bucket: string;
  /** Least-privileged application permission that grants the endpoint. */
  permission: string;
  /** Other permissions that also grant it (for messages). */
  alternatives?: string[];
  /** Units this request takes from its bucket. */
  cost: number;
  /** Microsoft reports sporadic 404s for valid ids (defender-api.md §6.3): retry one. */
  retryNotFoundOnce?: boolean;
  /** A deadline this endpoint needs at least, whatever `http.timeoutSeconds` says. */
  minTimeoutMs?: number;
}

const graph = (
  path: string,
  permission: string,
  cost: number,
  alternatives: string[],
): EndpointSpec => ({
  api: 'graph',
  label: `graph GET ${path}`,
  bucket: 'graph',
  permission,
  alternatives,
  cost,
});

const defender = (path: string, bucket: string, permission: string): EndpointSpec => ({
  api: 'defender',
  label: `defender GET ${path}`,
  bucket,
  permission,
  cost: 1,
});

export const ENDPOINTS = {
  organization: graph('/organization', 'Organization.Read.All', 1, ['Directory.Read.All']),
  // $select lowers a users request from 2 to 1 resource units.
  users: graph('/users', 'User.Read.All', 1, ['Directory.Read.All']),
  groups: graph('/groups', 'Group.Read.All', 1, ['GroupMember.Read.All', 'Directory.Read.All']),
  usersDelta: graph('/users/delta', 'User.Read.All', 1, ['Directory.Read.All']),
  groupsDelta: graph('/groups/delta', 'GroupMember.Read.All', 1, [
    'Group.Read.All',
    'Directory.Read.All',
  ]),
  groupMembers: graph('/groups/{id}/members', 'GroupMember.Read.All', 3, [
    'Group.Read.All',
    'Directory.Read.All',
  ]),
  machines: defender('/api/machines', 'defender:machines', 'Machine.Read.All'),
  machineLogonUsers: {
    ...defender('/api/machines/{id}/logonusers', 'defender:logonusers', 'User.Read.All'),
    retryNotFoundOnce: true,
  },
  vulnerabilities: defender(
    '/api/vulnerabilities',
    'defender:vulnerabilities',
    'Vulnerability.Read.All',
  ),
  machinesVulnerabilities: defender(
    '/api/vulnerabilities/machinesVulnerabilities',
    'defender:machinesVulnerabilities',
    'Vulnerability.Read.All',
  ),
  advancedQueries: {
    api: 'defender',
    label: 'defender POST /api/advancedqueries/run',
    bucket: 'defender:advancedQueries',
    permission: 'AdvancedQuery.Read.All',
    cost: 1,
    // A query may run for 200 s before Microsoft stops it (§4.12); then its rows still come.
    minTimeoutMs: 240_000,
  },
} as const satisfies Record<string, EndpointSpec>;

/** Most rows one Advanced Hunting answer carries (defender-api.md §4.12). */
export const ADVANCED_HUNTING_ROW_LIMIT = 100_000;

export type EndpointName = keyof typeof ENDPOINTS;

export interface QuotaWindow {
  limit: number;
  windowMs: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const perMinuteAndHour = (minute: number, hour: number): QuotaWindow[] => [
  { limit: minute, windowMs: MINUTE },
  { limit: hour, windowMs: HOUR },
];

/**
 * Microsoft's documented quotas per bucket (defender-api.md §5, graph-api.md §7). The bulk
 * vulnerability endpoints have no documented limit: planned like the other lists.
 */
export const DEFAULT_QUOTAS: Record<string, QuotaWindow[]> = {
  'defender:machines': perMinuteAndHour(100, 1500),
  'defender:logonusers': perMinuteAndHour(100, 1500),
  'defender:vulnerabilities': perMinuteAndHour(100, 1500),
  'defender:machinesVulnerabilities': perMinuteAndHour(100, 1500),
  // Advanced Hunting also has a CPU quota (10 min/h, 3 h/day) no client can count: its 429s are retried.
  'defender:advancedQueries': perMinuteAndHour(45, 1500),
  // Directory token bucket for the smallest tenant size: 3,500 resource units per 10 s.
  graph: [{ limit: 3500, windowMs: 10_000 }],
};

/** Applies `quotaScale` and per-bucket `quotas` overrides from the instance config. */
export function effectiveQuotas(
  scale = 1,
  overrides: Record<string, { perMinute?: number; perHour?: number }> = {},
): Record<string, QuotaWindow[]> {
  const unknown = Object.keys(overrides).filter((bucket) => !(bucket in DEFAULT_QUOTAS));
  if (unknown.length > 0) {
    throw new ConfigError(
      `quotas: unknown bucket ${unknown.join(', ')} (known: ${Object.keys(DEFAULT_QUOTAS).join(', ')})`,
    );
  }
  const quotas: Record<string, QuotaWindow[]> = {};
  for (const [bucket, windows] of Object.entries(DEFAULT_QUOTAS)) {
    const override = overrides[bucket];
    const chosen = override
      ? [
          ...(override.perMinute ? [{ limit: override.perMinute, windowMs: MINUTE }] : []),
          ...(override.perHour ? [{ limit: override.perHour, windowMs: HOUR }] : []),
        ]
      : windows;
    quotas[bucket] = chosen.map((w) => ({
      limit: Math.max(1, Math.floor(w.limit * scale)),
      windowMs: w.windowMs,
    }));
  }
  return quotas;
}
