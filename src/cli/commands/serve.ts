import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/load.js';
import type { InstanceConfig } from '../../config/instance-config.js';
import type { GraphStore } from '../../store/index.js';
import { DB_OPTION_HELP, withStore } from '../../sync/command-support.js';
import { createLogger } from '../../util/logger.js';
import { UsageError } from '../errors.js';
import { configOrUsageError } from './collect.js';
import { packageVersion } from '../version.js';

interface ServeFlags {
  config?: string;
  db?: string;
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy?: boolean;
  webRoot: string;
}

/** The built web UI, beside dist/ and src/ alike (both sit two levels below the package). */
const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** `--config`, else ./defender-graph.yaml when present; with neither, no instance can be synced. */
function configuredInstances(file: string | undefined): InstanceConfig[] {
  if (file === undefined && !existsSync(DEFAULT_CONFIG_FILE)) return [];
  return configOrUsageError(() => loadConfig({ file }).instances);
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

export interface ServeOptions {
  /** Instances "Run now" may sync (in this process). */
  instances: InstanceConfig[];
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  trustProxy?: boolean;
  webRoot?: string;
}

/** Serves the API and the UI on `store` until Ctrl+C or SIGTERM; syncs in flight end first. */
export async function serveUntilStopped(store: GraphStore, options: ServeOptions): Promise<void> {
  // Loaded here: every other command would otherwise pay for Fastify and its plugins at start.
  const { AccessConfigurationError, LocalSyncControl, createMetrics, startHttpServer } =
    await import('../../server/index.js');
  const logger = createLogger();
  const metrics = createMetrics(store);
  const syncControl = new LocalSyncControl({
    instances: options.instances,
    store,
    logger,
    onFinished: metrics.syncFinished,
  });
  const server = await startHttpServer({
    ...options,
    webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
    store,
    syncControl,
    configuredInstances: options.instances.map((i) => i.name),
    version: packageVersion(),
    metrics,
  }).catch((err: unknown) => {
    if (err instanceof AccessConfigurationError) throw new UsageError(err.message);
    throw err;
  });
  process.stdout.write(
    `defender-graph serving ${store.url} at ${server.url} (${server.authRequired ? 'login required' : 'no login: loopback only'}); Ctrl+C stops it\n`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  await syncControl.close();
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the HTTP API and the web UI on the stored graph.')
    .option(
      '--config <file>',
      `instance configuration, for "run now" (default ./${DEFAULT_CONFIG_FILE} if present)`,
    )
    .option('--db <url>', DB_OPTION_HELP)
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
    .addHelpText(
      'after',
      `
On 127.0.0.1 (the default) no login is needed. Any other address refuses to start until a user
exists; then the API wants a session (POST /api/v1/auth/login) or an API token.
The API is under /api/v1, its OpenAPI document at /api/openapi.json, its docs at /api/docs.
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
      const instances = configuredInstances(flags.config);
      await withStore(flags.db, (store) =>
        serveUntilStopped(store, {
          instances,
          host: flags.host,
          port,
          tls,
          trustProxy: flags.trustProxy ?? false,
          webRoot: flags.webRoot,
        }),
      );
    });
}
