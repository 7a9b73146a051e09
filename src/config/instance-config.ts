import { z } from 'zod';
import { CLOUDS, DEFENDER_REGIONS } from './clouds.js';

/**
 * The instance configuration file (`defender-graph.yaml`). The emulator's `--write-config` writes
 * one; the collector, the store and the scheduler read it.
 */

export const POLLING_INTERVALS = [
  'DISABLED',
  'THIRTY_MINUTES',
  'ONE_HOUR',
  'FOUR_HOURS',
  'EIGHT_HOURS',
  'TWELVE_HOURS',
  'ONE_DAY',
  'ONE_WEEK',
] as const;
export type PollingInterval = (typeof POLLING_INTERVALS)[number];

export const WEEKDAYS = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const INGESTION_SOURCES = [
  'users',
  'groups',
  'machines',
  'logon_users',
  'vulnerabilities',
] as const;
export type IngestionSource = (typeof INGESTION_SOURCES)[number];

/** Identities Azure hands the process: no secret in the config. */
export const CREDENTIALS = ['managedIdentity', 'workloadIdentity'] as const;

const httpsUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('https://'), 'must be an https:// URL (TLS is never disabled)');

export const instanceSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    tenantId: z.string().regex(/^[0-9a-zA-Z-.]+$/, 'must be a tenant GUID or domain name'),
    /** The app registration's client id; for a managed identity, a user-assigned one's. */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** PEM holding the certificate and its private key. */
    certificatePath: z.string().min(1).optional(),
    /** Passphrase of an encrypted private key in `certificatePath` (use \${ENV}). */
    certificatePassword: z.string().min(1).optional(),
    /** An identity Azure provides instead of an app secret or certificate (docs/configuration.md). */
    credential: z.enum(CREDENTIALS).optional(),
    pollingInterval: z.enum(POLLING_INTERVALS).default('ONE_DAY'),
    /** UTC hour (0-23) a ONE_DAY or ONE_WEEK sync starts at, as JupiterOne's `pollingIntervalCronExpression.hour`. */
    pollingHour: z.number().int().min(0).max(23).optional(),
    /** Weekday a ONE_WEEK sync starts on (UTC). */
    pollingDay: z.enum(WEEKDAYS).optional(),
    tagAccountName: z.boolean().default(false),
    /**
     * How often a sync is a full reconcile instead of an incremental one: every Nth sync (a
     * number) or at least once per duration (`30m`, `12h`, `1d`; default 1d).
     */
    fullSyncInterval: z
      .union([
        z.number().int().positive(),
        z.string().regex(/^\d+[mhd]$/, 'must be a number of syncs or a duration such as 12h or 1d'),
      ])
      .optional(),
    disabledSources: z.array(z.enum(INGESTION_SOURCES)).default([]),
    cloud: z
      .enum(Object.keys(CLOUDS) as [keyof typeof CLOUDS, ...(keyof typeof CLOUDS)[]])
      .default('public'),
    defenderRegion: z.enum(DEFENDER_REGIONS).optional(),
    endpoints: z
      .object({
        authority: httpsUrl.optional(),
        graph: httpsUrl.optional(),
        defender: httpsUrl.optional(),
      })
      .strict()
      .default({}),
    caFile: z.string().min(1).optional(),
    /** Multiplies every client-side quota (1 = Microsoft's); match an emulator's `quotaScale`. */
    quotaScale: z.number().positive().optional(),
    /** Per-endpoint quota overrides keyed by pacing bucket (see docs/configuration.md). */
    quotas: z
      .record(
        z.string(),
        z
          .object({
            perMinute: z.number().positive().optional(),
            perHour: z.number().positive().optional(),
          })
          .strict(),
      )
      .optional(),
    /**
     * Rows one Advanced Hunting answer may carry (Microsoft: 100,000); match an emulator started
     * with a smaller `huntingRowCap`.
     */
    advancedHuntingRowLimit: z.number().int().positive().max(100_000).optional(),
    /** How the collector treats slow and refusing servers (see docs/configuration.md). */
    http: z
      .object({
        /** Deadline for one request, headers and body; also the longest silence mid-body. */
        timeoutSeconds: z.number().positive().max(3600).optional(),
        /** Retries of one request after 429, 5xx, timeouts, network errors and cut-off bodies. */
        maxRetries: z.number().int().min(0).max(20).optional(),
        /** An exhausted quota (Retry-After over 5 min): sleep through it, or stop the step. */
        quotaExhausted: z.enum(['wait', 'stop']).optional(),
      })
      .strict()
      .optional(),
    /** Employee mapping (docs/people.md): roster file re-read every sync, rules file over the defaults. */
    people: z
      .object({
        roster: z.string().min(1).optional(),
        rules: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (i) =>
      i.credential !== undefined ||
      (i.clientSecret === undefined) !== (i.certificatePath === undefined),
    {
      message:
        'exactly one of clientSecret or certificatePath is required (or credential: managedIdentity / workloadIdentity)',
      path: ['clientSecret'],
    },
  )
  .refine(
    (i) =>
      i.credential === undefined ||
      (i.clientSecret === undefined && i.certificatePath === undefined),
    {
      message:
        'credential: managedIdentity or workloadIdentity takes no clientSecret or certificatePath',
      path: ['credential'],
    },
  )
  .refine((i) => i.credential !== undefined || i.clientId !== undefined, {
    message: 'required with clientSecret or certificatePath',
    path: ['clientId'],
  })
  .refine((i) => i.certificatePassword === undefined || i.certificatePath !== undefined, {
    message: 'certificatePassword applies only with certificatePath',
    path: ['certificatePassword'],
  })
  .refine(
    (i) =>
      i.pollingHour === undefined ||
      i.pollingInterval === 'ONE_DAY' ||
      i.pollingInterval === 'ONE_WEEK',
    { message: 'pollingHour applies only to ONE_DAY and ONE_WEEK', path: ['pollingHour'] },
  )
  .refine((i) => i.pollingDay === undefined || i.pollingInterval === 'ONE_WEEK', {
    message: 'pollingDay applies only to ONE_WEEK',
    path: ['pollingDay'],
  });

/** `monitoring:` in the config file: where rules come from and how notifications leave. */
export const monitoringSchema = z
  .object({
    /** Folder of rule files (YAML or JSON), relative to the config file. */
    rulesFolder: z.string().min(1).optional(),
    /** Load the built-in Defender rule pack (`rules/defender/`). */
    defenderRules: z.boolean().default(true),
    /** Values of `\${param.NAME}` in queries and `param.NAME` in templates. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Allow WEBHOOK and Slack URLs on plain http to a loopback address (tests, local relays). */
    allowLoopbackHttp: z.boolean().default(false),
    /** PEM CA trusted, besides the system roots, for WEBHOOK and Slack HTTPS (a private relay). */
    caFile: z.string().min(1).optional(),
    /** Secret for the WEBHOOK HMAC-SHA256 signature header (use \${ENV}). */
    webhookSecret: z.string().min(1).optional(),
    /** Link to this service's alert page, rendered into `alertWebLink`. */
    webLink: z.string().url().optional(),
    email: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS is required. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        from: z.string().min(3),
        caFile: z.string().min(1).optional(),
        /** Send one mail a day with every alert instead of one per alert. */
        dailyDigest: z.boolean().default(false),
        /** UTC hour the digest leaves at. */
        digestHour: z.number().int().min(0).max(23).default(8),
      })
      .strict()
      .optional(),
    delivery: z
      .object({
        maxAttempts: z.number().int().min(1).default(8),
        /** First retry delay; each later one doubles, capped at one hour. */
        backoffMs: z.number().int().min(1).default(30_000),
        /**
         * How long a process owns a row it is sending (default 120000); a row of a process that
         * died is sent again after it. Keep it above the 15 s HTTP timeout.
         */
        leaseMs: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ maxAttempts: 8, backoffMs: 30_000 }),
  })
  .strict();

export type MonitoringConfig = z.infer<typeof monitoringSchema>;

/** `retention:`: how long `prune` keeps history when no `--keep` is given. */
export const retentionSchema = z
  .object({
    /** A duration: 90d, 12w, 720h. */
    keep: z.string().regex(/^\d+(\.\d+)?[smhdw]$/, 'a duration such as 90d, 12w or 720h'),
  })
  .strict();

export type RetentionConfig = z.infer<typeof retentionSchema>;

export const configFileSchema = z
  .object({
    instances: z.array(instanceSchema).min(1),
    monitoring: monitoringSchema.optional(),
    retention: retentionSchema.optional(),
  })
  .strict();

export type InstanceConfig = z.infer<typeof instanceSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
