import type { ApplicationRegistry } from './applications.js';
import type { FaultInjector } from './faults.js';
import type { DeltaTokenState } from './graph-delta.js';
import type { Reply, RequestContext } from './http.js';
import type { DefenderQuotas, GraphResourceUnits, HuntingCpuQuota } from './quotas.js';
import type { RequestStats } from './stats.js';
import type { TenantView } from './tenant-view.js';
import type { TokenIssuer } from './tokens.js';

/** The state every handler module reads: one instance per running emulator. */
export interface EmulatorServices {
  tenant: TenantView;
  apps: ApplicationRegistry;
  tokens: TokenIssuer;
  faults: FaultInjector;
  defenderQuotas: DefenderQuotas;
  graphUnits: GraphResourceUnits;
  stats: RequestStats;
  /** Which Graph delta tokens are still valid. */
  deltaTokens: DeltaTokenState;
  hunting: HuntingSettings;
}

/** Advanced Hunting's limits in this emulator (defaults: Microsoft's). */
export interface HuntingSettings {
  /** Most rows one answer carries; more are cut off (Microsoft: 100,000). */
  rowCap: number;
  /** CPU milliseconds charged per table row a query reads. */
  cpuMsPerRow: number;
  cpu: HuntingCpuQuota;
}

/** Answers every API family gives in its own envelope for paths and methods it does not serve. */
export interface FamilyResponses {
  notFound(ctx: RequestContext): Reply;
  methodNotAllowed(ctx: RequestContext, allowed: string[]): Reply;
}

/** The Microsoft APIs also answer injected faults in their own envelope. */
export interface FaultableResponses extends FamilyResponses {
  injected429(ctx: RequestContext, retryAfterSeconds: number): Reply;
  injected5xx(ctx: RequestContext): Reply;
}
