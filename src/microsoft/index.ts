import { readFileSync } from 'node:fs';
import type { InstanceConfig } from '../config/instance-config.js';
import { ConfigError, resolveEndpoints } from '../config/load.js';
import type { Logger } from '../util/logger.js';
import { CallCounter } from './call-counter.js';
import { DefenderClient } from './defender-client.js';
import { effectiveQuotas } from './endpoints.js';
import { GraphClient } from './graph-client.js';
import { ApiClient, createDispatcher, type RetryPolicy } from './http.js';
import { Pacer } from './pacing.js';
import { proxyFromEnvironment } from '../config/proxy.js';
import { TokenProvider } from './tokens.js';

export { CallCounter } from './call-counter.js';
export { DefenderClient } from './defender-client.js';
export { GraphClient } from './graph-client.js';
export { ENDPOINTS, DEFAULT_QUOTAS, effectiveQuotas } from './endpoints.js';
export { MicrosoftApiError } from './errors.js';
export type * from './types.js';

export interface MicrosoftClients {
  graph: GraphClient;
  defender: DefenderClient;
  graphTokens: TokenProvider;
  defenderTokens: TokenProvider;
  counter: CallCounter;
  close(): Promise<void>;
}

/** Builds both clients for one instance: one dispatcher, one pacer, one call counter. */
export function createMicrosoftClients(
  instance: InstanceConfig,
  options: {
    logger?: Logger;
    retry?: Partial<RetryPolicy>;
    /** How to wait before a retry (tests pass a fake clock). */
    sleep?: (ms: number) => Promise<unknown>;
    /** Where HTTPS_PROXY / NO_PROXY are read (tests pass their own). */
    env?: NodeJS.ProcessEnv;
    /** Hears every pause for a quota: the pacing bucket and how long. */
    onPacing?: (bucket: string, waitMs: number) => void;
  } = {},
): MicrosoftClients {
  const endpoints = resolveEndpoints(instance);
  const ca = instance.caFile ? readCaFile(instance.name, instance.caFile) : undefined;
  const dispatcher = createDispatcher(ca, proxyFromEnvironment(options.env ?? process.env));
  const pacer = new Pacer(effectiveQuotas(instance.quotaScale, instance.quotas), options.onPacing);
  const counter = new CallCounter();
  const graphTokens = new TokenProvider(instance, endpoints, endpoints.graphScope, dispatcher);
  const defenderTokens = new TokenProvider(
    instance,
    endpoints,
    endpoints.defenderScope,
    dispatcher,
  );
  const shared = {
    pacer,
    counter,
    dispatcher,
    logger: options.logger,
    retry: { ...retryFromConfig(instance), ...options.retry },
    sleep: options.sleep,
  };
  return {
    graph: new GraphClient(
      new ApiClient({ ...shared, api: 'graph', base: endpoints.graph, tokens: graphTokens }),
      endpoints.graph,
    ),
    defender: new DefenderClient(
      new ApiClient({
        ...shared,
        api: 'defender',
        base: endpoints.defender,
        tokens: defenderTokens,
      }),
      endpoints.defender,
    ),
    graphTokens,
    defenderTokens,
    counter,
    close: () => dispatcher.close(),
  };
}

/** The instance's `http` settings as a retry policy; unset ones keep the defaults. */
function retryFromConfig({ http = {} }: InstanceConfig): Partial<RetryPolicy> {
  return {
    ...(http.timeoutSeconds === undefined ? {} : { timeoutMs: http.timeoutSeconds * 1000 }),
    ...(http.maxRetries === undefined ? {} : { maxRetries: http.maxRetries }),
    ...(http.quotaExhausted === undefined ? {} : { quotaExhausted: http.quotaExhausted }),
  };
}

function readCaFile(instanceName: string, caFile: string): string {
  try {
    return readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`instance ${instanceName}: caFile ${caFile}: ${(err as Error).message}`);
  }
}
