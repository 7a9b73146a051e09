import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { listAlerts } from '../../alerts/index.js';
import { monitoringSchema } from '../../config/instance-config.js';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from '../../config/load.js';
import { startService, type ServiceOptions } from '../../scheduler/index.js';
import { resolveStoreUrl, type GraphStore } from '../../store/index.js';
import { parseShare, withStore } from '../../sync/command-support.js';
import { createLogger } from '../../util/logger.js';
import { UsageError } from '../../util/usage-error.js';
import { configOrUsageError } from './collect.js';
import { packageVersion } from '../version.js';
import { configOption, dbOption } from '../options.js';

interface ServeFlags {
  config?: string;
  db?: string;
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy?: boolean;
  webRoot: string;
  maxDeleteShare: string;
  shutdownGrace: string;
  poll: string;
  jobQueue: boolean;
  jobTimeout: string;
  maintenance: string;
}

/** The built web UI, beside dist/ and src/ alike (both sit two levels below the package). */
const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** `--config`, else ./defender-graph.yaml when present; with neither, nothing is synced. */
function configuration(file: string | undefined): LoadedConfig {
  if (file === undefined && !existsSync(DEFAULT_CONFIG_FILE))
    return { instances: [], warnings: [], monitoring: monitoringSchema.parse({}) };
  return configOrUsageError(() => loadConfig({ file }));
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(err as Error).message})`);
  }
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, got '${value}'`);
  return port;
}

function positiveSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--${flag} must be a positive number of seconds, got '${value}'`);
  return seconds * 1000;
}

export interface ServeOptions {
  config: LoadedConfig;
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  trustProxy?: boolean;
  webRoot?: string;
  /** The scheduler's settings (poll, deletion share, job queue); defaults otherwise. */
  service?: Omit<ServiceOptions, 'store' | 'config' | 'logger' | 'onSyncFinished'>;
  /** On SIGINT/SIGTERM, how long a running sync may take before it is marked failed. */
  graceMs?: number;
}

/**
 * Runs the service on `store` until Ctrl+C or SIGTERM: the scheduler (syncs on each instance's
 * interval, rules after each sync, deliveries) and the HTTP API with the web UI, whose "Run now"
 * asks the same scheduler.
 */
export async function serveUntilStopped(store: GraphStore, options: ServeOptions): Promise<void> {
  // Loaded here: every other command would otherwise pay for Fastify and its plugins at start.
  const { AccessConfigurationError, authRequired, createMetrics, startHttpServer } =
    await import('../../server/index.js');
  // Refused before anything syncs: a non-loopback address with no user to log in.
  try {
    authRequired(options.host, (await store.accounts.listUsers()).length);
  } catch (err) {
    if (err instanceof AccessConfigurationError) throw new UsageError(err.message);
    throw err;
  }
  const logger = createLogger({ defaultLevel: 'info' });
  const metrics = createMetrics(store);
  const service = await startService({
    ...options.service,
    store,
    config: options.config,
    logger,
    onSyncFinished: metrics.syncFinished,
  });
  const stopped = new Promise<NodeJS.Signals>((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done(signal));
  });
  try {
    const server = await startHttpServer({
      ...options,
      webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
      store,
      syncControl: service.scheduler,
      configuredInstances: options.config.instances.map((i) => i.name),
      version: packageVersion(),
      metrics,
      openAlerts: async () => (await listAlerts(store)).length,
      peopleRules: Object.fromEntries(
        options.config.instances.map((i) => [i.name, i.people?.rules]),
      ),
    });
    process.stdout.write(
      `defender-graph serving ${store.url} at ${server.url} (${server.authRequired ? 'login required' : 'no login: loopback only'}); Ctrl+C stops it\n`,
    );
    logger.info(
      {
        instances: options.config.instances.map((i) => i.name),
        store: store.url,
        url: server.url,
        jobQueue: options.service?.jobQueue !== undefined,
      },
      'serving',
    );
    const signal = await stopped;
    logger.info({ signal }, 'stopping: waiting for running syncs');
    await server.close();
  } finally {
    await service.stop(options.graceMs ?? 60_000);
  }
  logger.info('stopped');
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the service until SIGINT/SIGTERM: sync every instance on its pollingInterval (or when asked), evaluate the alert rules after each sync and on their own interval, deliver notifications, and serve the HTTP API and the web UI.',
    )
    .addOption(
      configOption(
        `instance configuration (default ./${DEFAULT_CONFIG_FILE} if present; without one nothing is synced)`,
      ),
    )
    .addOption(dbOption())
    .option(
      '--host <address>',
      'address to listen on; anything but loopback needs users (defender-graph users add)',
      '127.0.0.1',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option('--tls-cert <file>', 'PEM certificate (chain): serve HTTPS (needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--trust-proxy', 'behind a reverse proxy: trust its X-Forwarded-For/-Proto headers')
    .option('--web-root <dir>', 'the built web UI', DEFAULT_WEB_ROOT)
    .option('--max-delete-share <n>', 'largest share (0..1) of a type one sync may delete', '0.5')
    .option(
      '--shutdown-grace <seconds>',
      'on SIGINT/SIGTERM, how long a running sync may take to finish before it is marked failed',
      '60',
    )
    .option('--poll <seconds>', 'how often requests from `run` and due work are checked', '5')
    .option(
      '--no-job-queue',
      'on PostgreSQL, run the single-process scheduler instead of sharing work through the job queue',
    )
    .option(
      '--job-timeout <seconds>',
      'job queue: a sync or evaluation running longer is taken as dead and retried by another process (set above your longest sync)',
      '14400',
    )
    .option('--maintenance <seconds>', 'job queue: how often expired jobs are looked for', '60')
    .addHelpText(
      'after',
      `
On 127.0.0.1 (the default) no login is needed. Any other address refuses to start until a user
exists; then the API wants a session (POST /api/v1/auth/login) or an API token.
The API is under /api/v1, its OpenAPI document at /api/openapi.json, its docs at /api/docs.
Logs go to stderr (DEFENDER_GRAPH_LOG_LEVEL, default info).
Exit codes: 0 stopped by Ctrl+C/SIGTERM, 1 the store or the port failed, 2 bad flag or config,
or a non-loopback address without users.`,
    )
    .action(async (flags: ServeFlags) => {
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
        throw new UsageError('--tls-cert and --tls-key go together');
      const tls =
        flags.tlsCert && flags.tlsKey
          ? { cert: readPem('--tls-cert', flags.tlsCert), key: readPem('--tls-key', flags.tlsKey) }
          : undefined;
      const port = parsePort(flags.port);
      const maxDeleteShare = parseShare(flags.maxDeleteShare);
      const graceMs = positiveSeconds('shutdown-grace', flags.shutdownGrace);
      const pollMs = positiveSeconds('poll', flags.poll);
      const jobTimeoutSeconds = positiveSeconds('job-timeout', flags.jobTimeout) / 1000;
      const maintenanceSeconds = positiveSeconds('maintenance', flags.maintenance) / 1000;
      const config = configuration(flags.config);
      const url = resolveStoreUrl(flags.db);
      await withStore(url, (store) =>
        serveUntilStopped(store, {
          config,
          host: flags.host,
          port,
          tls,
          trustProxy: flags.trustProxy ?? false,
          webRoot: flags.webRoot,
          graceMs,
          service: {
            pollMs,
            maxDeleteShare,
            jobQueue:
              store.dialect === 'postgres' && flags.jobQueue
                ? { url, jobTimeoutSeconds, maintenanceSeconds }
                : undefined,
          },
        }),
      );
    });
}
