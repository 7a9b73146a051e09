/**
 * The HTTP API's entry point: `startHttpServer(deps)` decides whether requests must authenticate
 * (refusing a non-loopback bind without users), builds the app and listens.
 */
import type { AddressInfo } from 'node:net';
import { listAlerts } from '../alerts/index.js';
import type { GraphStore } from '../store/index.js';
import { authRequired } from './auth/access.js';
import { SessionStore } from './auth/sessions.js';
import { buildApp, type AppOptions } from './app.js';
import type { ApiApp } from './context.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import type { SyncControl } from './sync-control.js';

export { AccessConfigurationError, authRequired, isLoopback } from './auth/access.js';
export type { SyncControl, SyncFinished } from './sync-control.js';
export { createMetrics, type ServerMetrics } from './metrics.js';

export interface HttpServerDeps extends AppOptions {
  store: GraphStore;
  syncControl: SyncControl;
  /** Instance names of the configuration (listed even before their first sync). */
  configuredInstances?: string[];
  host: string;
  /** 0 picks a free port. */
  port: number;
  version: string;
  metrics?: ServerMetrics;
  openAlerts?: () => Promise<number>;
  /** People rules file per instance name (the config's `people.rules`). */
  peopleRules?: Record<string, string | undefined>;
}

export interface RunningHttpServer {
  url: string;
  authRequired: boolean;
  app: ApiApp;
  close(): Promise<void>;
}

export async function startHttpServer(deps: HttpServerDeps): Promise<RunningHttpServer> {
  const required = authRequired(deps.host, (await deps.store.accounts.listUsers()).length);
  const app = await buildApp(
    {
      store: deps.store,
      syncControl: deps.syncControl,
      configuredInstances: deps.configuredInstances ?? [],
      auth: {
        required,
        accounts: deps.store.accounts,
        sessions: new SessionStore(deps.store.sessions),
      },
      metrics: deps.metrics ?? createMetrics(deps.store),
      version: deps.version,
      openAlerts: deps.openAlerts ?? (async () => (await listAlerts(deps.store)).length),
      peopleRules: deps.peopleRules ?? {},
    },
    deps,
  );
  await app.listen({ host: deps.host, port: deps.port });
  const { port } = app.server.address() as AddressInfo;
  const host = deps.host.includes(':') ? `[${deps.host}]` : deps.host;
  return {
    url: `${deps.tls ? 'https' : 'http'}://${host}:${port}`,
    authRequired: required,
    app,
    close: () => app.close(),
  };
}
