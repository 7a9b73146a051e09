/** What every route module receives: the app typed for zod schemas and the server's parts. */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { GraphStore } from '../store/index.js';
import type { AuthContext } from './auth/plugin.js';
import type { ServerMetrics } from './metrics.js';
import type { SyncControl } from './sync-control.js';

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface RouteContext {
  store: GraphStore;
  syncControl: SyncControl;
  /** Instance names of the configuration `serve` was started with (may not be synced yet). */
  configuredInstances: string[];
  auth: AuthContext;
  metrics: ServerMetrics;
  version: string;
  /** How many alerts are open (the overview shows it). */
  openAlerts: () => Promise<number>;
  /** People rules file per instance name (its `people.rules`); absent: the built-in rules. */
  peopleRules: Record<string, string | undefined>;
}
