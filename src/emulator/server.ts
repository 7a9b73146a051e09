import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceConfig } from '../config/instance-config.js';
import { createLogger } from '../util/logger.js';
import { adminResponses, adminRoutes } from './admin.js';
import { createApplicationRegistry, type AppCredentials } from './applications.js';
import { ensureCertificates } from './certificates.js';
import { defenderHourlyQuotaReply, defenderResponses, defenderRoutes } from './defender.js';
import { deliver } from './delivery.js';
import { FaultInjector } from './faults.js';
import { planDelivery } from './faults/apply.js';
import { gatewayPage } from './faults/responses.js';
import { graphResponses, graphRoutes } from './graph.js';
import { deltaAdminRoutes, DeltaTokenState, graphDeltaRoutes } from './graph-delta.js';
import { Refusal, Router, type ApiFamily, type Reply, type RequestContext } from './http.js';
import { identityResponses, identityRoutes } from './identity.js';
import { DefenderQuotas, GraphResourceUnits, HuntingCpuQuota } from './quotas.js';
import type { EmulatorServices, FamilyResponses } from './services.js';
import { RequestStats } from './stats.js';
import { SimulatedTenant } from './tenant/index.js';
import type { TenantSizes } from './tenant/types.js';
import type { HostileValues } from './tenant/hostile-values.js';
import { createTokenIssuer } from './tokens.js';

export interface EmulatorOptions extends Partial<TenantSizes> {
  /** 0 (default) picks any free port. */
  port?: number;
  host?: '127.0.0.1';
  seed?: number;
  /** Where the CA, certificates and app secrets are kept (created if missing, reused if present). */
  dataDir: string;
  /** Multiplies every quota; 1 (default) = Microsoft's documented quotas. */
  quotaScale?: number;
  /** Access-token lifetime; default 3599 s as Entra issues. */
  tokenLifetimeSeconds?: number;
  /**
   * The tenant's clock (epoch ms, rounded down to the day). Default: today, so "last seen in
   * the last 30 days" means what it says; fix it for data that is identical across days.
   */
  now?: number;
  /** Hostile string values in some users' fields (docs/emulator.md); off by default. */
  hostileValues?: HostileValues;
  /** Grant the app Defender `AdvancedQuery.Read.All` (Advanced Hunting); withheld by default. */
  advancedHunting?: boolean;
  /** Rows one Advanced Hunting answer carries (default Microsoft's 100,000); the config follows. */
  huntingRowCap?: number;
  /** CPU milliseconds an Advanced Hunting query is charged per row it reads (default 0.05). */
  huntingCpuMsPerRow?: number;
}

const HUNTING_ROW_CAP = 100_000;

export const DEFAULT_TENANT_SIZES: TenantSizes = {
  users: 200,
  groups: 30,
  machines: 150,
  cves: 120,
  logonUsersPerMachine: 3,
  vulnerabilitiesPerMachine: 8,
};

export interface RunningEmulator {
  url: string;
  port: number;
  caFile: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** PEM with the registered certificate and its private key, for ClientCertificateCredential. */
  clientCertificateFile: string;
  /** A second registered app whose only secret has expired (token requests get AADSTS7000222). */
  expiredSecretApp: AppCredentials;
  sizes: TenantSizes;
  /** A ready-to-use instance configuration pointing the collector at this emulator (with its quotaScale). */
  instanceConfig(name?: string): InstanceConfig;
  tenant: SimulatedTenant;
  /** The fault injector `/admin/faults` sets; in-process callers may set it synchronously. */
  faults: FaultInjector;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const RESPONSES: Record<ApiFamily, FamilyResponses> = {
  identity: identityResponses,
  graph: graphResponses,
  defender: defenderResponses,
  admin: adminResponses,
};

const FAULTABLE = {
  identity: identityResponses,
  graph: graphResponses,
  defender: defenderResponses,
};

class BodyTooLarge extends Error {
  constructor() {
    super(`request body over ${MAX_BODY_BYTES} bytes`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function createHandler(services: EmulatorServices, router: Router, origin: () => string) {
  const log = createLogger({ name: 'emulator' });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', origin());
    const match = router.match(method, url.pathname);
    const found = match !== undefined && 'route' in match ? match : undefined;
    const family = found?.route.family ?? router.familyOf(url.pathname);
    const requestId = randomUUID();
    const clientRequestId = String(
      req.headers['client-request-id'] ?? req.headers['x-ms-client-request-id'] ?? requestId,
    );
    const ctx: RequestContext = {
      req,
      method,
      url,
      origin: origin(),
      params: found?.params ?? {},
      query: url.searchParams,
      body: '',
      requestId,
      clientRequestId,
      route: found ? `${method} ${found.route.pattern}` : `${method} (unmatched ${family})`,
    };
    // The admin API is the control plane: stats count only what clients of the emulated APIs see.
    const record = (status: number | 'reset') => {
      if (family !== 'admin') services.stats.record(ctx.route, status);
    };
    try {
      ctx.body = await readBody(req);
      const injected = family === 'admin' ? undefined : await injectFault(services, ctx, family);
      if (injected === 'reset') {
        record('reset');
        req.socket.destroy();
        return;
      }
      const reply =
        injected ??
        (found
          ? await found.route.handle(ctx)
          : match !== undefined && 'allowed' in match
            ? RESPONSES[family].methodNotAllowed(ctx, match.allowed)
            : RESPONSES[family].notFound(ctx));
      record(reply.status);
      await deliver(req, res, family, planDelivery(services.faults, ctx, family, reply));
    } catch (err) {
      const reply = err instanceof Refusal ? err.reply : failureReply(err as Error);
      if (reply.status === 500)
        log.error({ route: ctx.route, err: (err as Error).message }, 'emulator request failed');
      record(reply.status);
      if (!res.headersSent)
        await deliver(req, res, family, planDelivery(services.faults, ctx, family, reply));
    }
  };
}

/** Applies the configured latency, then answers for a drawn fault; undefined lets the request through. */
async function injectFault(
  services: EmulatorServices,
  ctx: RequestContext,
  family: keyof typeof FAULTABLE,
): Promise<Reply | 'reset' | undefined> {
  const path = ctx.url.pathname;
  const latency = services.faults.latencyMs(path);
  if (latency > 0) await sleep(latency);
  const decision = services.faults.decide(path);
  if (decision === undefined || decision === 'reset') return decision;
  const responses = FAULTABLE[family];
  const { retryAfterSeconds = 1, gateway, defenderHourlyQuota } = services.faults.current;
  switch (decision) {
    case '429':
      return responses.injected429(ctx, retryAfterSeconds);
    case '5xx':
      return responses.injected5xx(ctx);
    case 'gateway':
      return {
        status: gateway!.status,
        headers: { 'Content-Type': 'text/html' },
        body: gatewayPage(gateway!.status),
      };
    case 'hourly-quota':
      return defenderHourlyQuotaReply(ctx, defenderHourlyQuota!.retryAfterSeconds);
  }
}

function failureReply(err: Error): Reply {
  const tooLarge = err instanceof BodyTooLarge;
  return {
    status: tooLarge ? 413 : 500,
    // The rest of an oversized body is never read, so the connection cannot be reused.
    headers: tooLarge ? { Connection: 'close' } : {},
    body: {
      error: {
        code: tooLarge ? 'RequestEntityTooLarge' : 'InternalServerError',
        message: tooLarge ? err.message : '',
      },
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
        ),
      );
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 1;
  const quotaScale = options.quotaScale ?? 1;
  if (!(quotaScale > 0)) throw new Error(`quotaScale must be a positive number, got ${quotaScale}`);
  const sizes: TenantSizes = { ...DEFAULT_TENANT_SIZES };
  for (const key of Object.keys(sizes) as (keyof TenantSizes)[])
    if (options[key] !== undefined) sizes[key] = options[key];

  const certificates = ensureCertificates(options.dataDir);
  const apps = createApplicationRegistry(seed, options.dataDir, certificates.clientCertPem, {
    defender: options.advancedHunting ? ['AdvancedQuery.Read.All'] : [],
  });
  const huntingRowCap = options.huntingRowCap ?? HUNTING_ROW_CAP;
  if (!(Number.isInteger(huntingRowCap) && huntingRowCap > 0 && huntingRowCap <= HUNTING_ROW_CAP))
    throw new Error(
      `huntingRowCap must be an integer from 1 to ${HUNTING_ROW_CAP}, got ${huntingRowCap}`,
    );
  const tenant = new SimulatedTenant({
    seed,
    now: options.now ?? Date.now(),
    ...sizes,
    hostileValues: options.hostileValues,
  });
  const services: EmulatorServices = {
    tenant,
    apps,
    tokens: await createTokenIssuer(
      certificates.tokenSigningKeyPem,
      options.tokenLifetimeSeconds ?? 3599,
    ),
    faults: new FaultInjector(seed),
    defenderQuotas: new DefenderQuotas(quotaScale),
    graphUnits: new GraphResourceUnits(quotaScale),
    stats: new RequestStats(),
    hunting: {
      rowCap: huntingRowCap,
      cpuMsPerRow: options.huntingCpuMsPerRow ?? 0.05,
      cpu: new HuntingCpuQuota(quotaScale),
    },
    deltaTokens: new DeltaTokenState(),
  };
  const router = new Router();
  router.add(
    ...adminRoutes(services),
    ...deltaAdminRoutes(services),
    // Before graphRoutes, whose `/users/{id}` would take `delta` for an id.
    ...graphDeltaRoutes(services),
    ...graphRoutes(services),
    ...defenderRoutes(services),
    ...identityRoutes(services),
  );

  let url = '';
  const server = createServer(
    { key: certificates.serverKeyPem, cert: certificates.serverCertPem },
    createHandler(services, router, () => url),
  );
  const port = await listen(server, options.port ?? 0, host);
  url = `https://${host}:${port}`;

  return {
    url,
    port,
    caFile: certificates.caFile,
    tenantId: tenant.tenantId,
    clientId: apps.main.clientId,
    clientSecret: apps.main.secret,
    clientCertificateFile: certificates.clientCertificateFile,
    expiredSecretApp: {
      clientId: apps.expiredSecretApp.clientId,
      clientSecret: apps.expiredSecretApp.expiredSecret,
    },
    sizes,
    tenant,
    faults: services.faults,
    instanceConfig: (name = 'Emulated tenant') => ({
      name,
      tenantId: tenant.tenantId,
      clientId: apps.main.clientId,
      clientSecret: apps.main.secret,
      pollingInterval: 'ONE_DAY',
      tagAccountName: false,
      disabledSources: [],
      cloud: 'public',
      endpoints: { authority: url, graph: `${url}/graph`, defender: `${url}/defender` },
      caFile: certificates.caFile,
      // The collector paces itself by the same scale, so scaled-up quotas also speed the client.
      ...(quotaScale === 1 ? {} : { quotaScale }),
      ...(huntingRowCap === HUNTING_ROW_CAP ? {} : { advancedHuntingRowLimit: huntingRowCap }),
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
