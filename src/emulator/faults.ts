import { z } from 'zod';

/** Injected failures, set through `POST /admin/faults`. Rates are shares of matching requests, 0–1. */
export const faultsSchema = z
  .object({
    rate429: z.number().min(0).max(1).optional(),
    rate5xx: z.number().min(0).max(1).optional(),
    /** Retry-After sent with injected 429s. */
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    /** Share of requests whose connection is destroyed without an answer. */
    resetRate: z.number().min(0).max(1).optional(),
    /** Role names removed from new tokens and ignored on issued ones; a `graph:`/`defender:` prefix narrows. */
    revokePermissions: z.array(z.string().min(1)).optional(),
    /** Every Graph `$skiptoken` presented is answered with the expired-page-token error. */
    expireGraphPageTokens: z.boolean().optional(),
    /** Path prefixes the faults apply to (e.g. `/defender/api/machines`); default: every API path. */
    paths: z.array(z.string().startsWith('/')).optional(),
  })
  .strict();

export type Faults = z.infer<typeof faultsSchema>;

export type FaultDecision = 'reset' | '429' | '5xx' | undefined;

/** mulberry32: a tiny seeded PRNG, so a fault run is the same sequence every time. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private faults: Faults = {};
  private random: () => number;

  constructor(private readonly seed: number) {
    this.random = seededRandom(seed);
  }

  get current(): Faults {
    return this.faults;
  }

  /** Replaces the faults and restarts the random sequence, so the same settings replay identically. */
  set(faults: Faults): void {
    this.faults = faults;
    this.random = seededRandom(this.seed);
  }

  applies(path: string): boolean {
    const lower = path.toLowerCase();
    return this.faults.paths?.some((p) => lower.startsWith(p.toLowerCase())) ?? true;
  }

  /** One draw per fault kind per matching request, in a fixed order. */
  decide(path: string): FaultDecision {
    if (!this.applies(path)) return undefined;
    const { resetRate = 0, rate429 = 0, rate5xx = 0 } = this.faults;
    if (resetRate > 0 && this.random() < resetRate) return 'reset';
    if (rate429 > 0 && this.random() < rate429) return '429';
    if (rate5xx > 0 && this.random() < rate5xx) return '5xx';
    return undefined;
  }

  latencyMs(path: string): number {
    return this.applies(path) ? (this.faults.latencyMs ?? 0) : 0;
  }

  /** Whether `role` of the `api` resource is revoked; revocation is tenant-wide, not path-scoped. */
  isRevoked(api: string, role: string): boolean {
    return (this.faults.revokePermissions ?? []).some((r) => r === role || r === `${api}:${role}`);
  }

  graphPageTokensExpired(path: string): boolean {
    return this.applies(path) && this.faults.expireGraphPageTokens === true;
  }
}
