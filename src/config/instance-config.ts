import { z } from 'zod';
import { CLOUDS, DEFENDER_REGIONS } from './clouds.js';

/**
 * The instance configuration file (`defender-graph.yaml`). The emulator's `--write-config` writes
 * one; the collector, the store and the scheduler read it.
 */

export const POLLING_INTERVALS = [
  'DISABLED',
  'ONE_HOUR',
  'FOUR_HOURS',
  'EIGHT_HOURS',
  'TWELVE_HOURS',
  'ONE_DAY',
  'ONE_WEEK',
] as const;

export const INGESTION_SOURCES = [
  'users',
  'groups',
  'machines',
  'logon_users',
  'vulnerabilities',
] as const;
export type IngestionSource = (typeof INGESTION_SOURCES)[number];

const httpsUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('https://'), 'must be an https:// URL (TLS is never disabled)');

export const instanceSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    tenantId: z.string().regex(/^[0-9a-zA-Z-.]+$/, 'must be a tenant GUID or domain name'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    certificatePath: z.string().min(1).optional(),
    pollingInterval: z.enum(POLLING_INTERVALS).default('ONE_DAY'),
    tagAccountName: z.boolean().default(false),
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
  .refine((i) => (i.clientSecret === undefined) !== (i.certificatePath === undefined), {
    message: 'exactly one of clientSecret or certificatePath is required',
    path: ['clientSecret'],
  });

export const configFileSchema = z
  .object({
    instances: z.array(instanceSchema).min(1),
  })
  .strict();

export type InstanceConfig = z.infer<typeof instanceSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
