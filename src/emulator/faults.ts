import { z } from 'zod';
import { identityFaultsSchema } from './faults/identity.js';
import { listingFaultsSchema, moveFirstToEnd } from './faults/listing.js';
import { responseFaultsSchema } from './faults/responses.js';
import type { QuotaRefusal } from './quotas.js';
import type { Sequence } from './tenant-view.js';

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
    /** Path prefixes the faults apply to (e.g. `/defender/api/machines`); default: every API path. */
    paths: z.array(z.string().startsWith('/')).optional(),
    ...responseFaultsSchema,
    ...listingFaultsSchema,
    ...identityFaultsSchema,
  })
  .strict();

export type Faults = z.infer<typeof faultsSchema>;
/** What `POST /admin/faults` accepts: defaults (such as a `rate` of 1) may be left out. */
export type FaultSettings = z.input<typeof faultsSchema>;

export type FaultDecision = 'reset' | '429' | '5xx' | 'gateway' | 'hourly-quota' | undefined;

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
  /** When the faults were last set (epoch ms): tokens issued before are the "issued" ones. */
  private setAt = 0;
  private expiringTokens = 0;
  private hourlyRefusals = 0;
  private cpuRefusals = 0;
  /** Listings (by path) whose items have moved since they started. */
  private readonly moved = new Set<string>();

  constructor(private readonly seed: number) {
    this.random = seededRandom(seed);
  }

  get current(): Faults {
    return this.faults;
  }

  /** Replaces the faults and restarts the random sequence, so the same settings replay identically. */
  set(faults: Faults, now = Date.now()): void {
    this.faults = faults;
    this.random = seededRandom(this.seed);
    this.setAt = now;
    const expire = faults.expireGraphPageTokens;
    this.expiringTokens = typeof expire === 'number' ? expire : 0;
    this.hourlyRefusals = faults.defenderHourlyQuota?.requests ?? 0;
    this.cpuRefusals = faults.huntingCpuQuota?.requests ?? 0;
    this.moved.clear();
  }

  applies(path: string): boolean {
    const lower = path.toLowerCase();
    return this.faults.paths?.some((p) => lower.startsWith(p.toLowerCase())) ?? true;
  }

  /** One draw per fault kind per matching request, in a fixed order. */
  decide(path: string): FaultDecision {
    if (!this.applies(path)) return undefined;
    const { resetRate = 0, rate429 = 0, rate5xx = 0, gateway } = this.faults;
    if (resetRate > 0 && this.random() < resetRate) return 'reset';
    if (rate429 > 0 && this.random() < rate429) return '429';
    if (rate5xx > 0 && this.random() < rate5xx) return '5xx';
    if (gateway && gateway.rate > 0 && this.random() < gateway.rate) return 'gateway';
    if (this.hourlyRefusals > 0 && path.toLowerCase().startsWith('/defender/')) {
      this.hourlyRefusals--;
      return 'hourly-quota';
    }
    return undefined;
  }

  /** A CPU-quota refusal for this Advanced Hunting query while `huntingCpuQuota` has some left. */
  huntingCpuRefusal(): QuotaRefusal | undefined {
    const fault = this.faults.huntingCpuQuota;
    if (fault === undefined || this.cpuRefusals === 0) return undefined;
    this.cpuRefusals--;
    return { retryAfterSeconds: fault.retryAfterSeconds, limit: 600, window: '01:00:00' };
  }

  /** Whether this listing page is to be answered malformed (one draw per matching page). */
  malformedPage(path: string): boolean {
    const malformed = this.faults.malformed;
    return malformed !== undefined && this.applies(path) && this.random() < malformed.rate;
  }

  latencyMs(path: string): number {
    return this.applies(path) ? (this.faults.latencyMs ?? 0) : 0;
  }

  /** Whether `role` of the `api` resource is revoked; revocation is tenant-wide, not path-scoped. */
  isRevoked(api: string, role: string): boolean {
    return (this.faults.revokePermissions ?? []).some((r) => r === role || r === `${api}:${role}`);
  }

  /** Whether this presented `$skiptoken` has expired; a counted expiry is used up by the answer. */
  graphPageTokenExpired(path: string): boolean {
    if (!this.applies(path)) return false;
    if (this.faults.expireGraphPageTokens === true) return true;
    if (this.expiringTokens === 0) return false;
    this.expiringTokens--;
    return true;
  }

  /** The server's page size on this path, capped by the `pageSize` fault. */
  pageSize(path: string, size: number): number {
    const cap = this.applies(path) ? this.faults.pageSize : undefined;
    return cap === undefined ? size : Math.min(size, cap);
  }

  /** Where a continuing page starts: one item early when items repeat across pages. */
  continueFrom(path: string, position: number): number {
    return this.applies(path) && this.faults.repeatAcrossPages
      ? Math.max(0, position - 1)
      : position;
  }

  /** The list a Defender listing reads: once a later page was asked, its first item moved. */
  listingView(path: string, source: Sequence, continuing: boolean): Sequence {
    if (!this.applies(path) || !this.faults.moveDuringListing) return source;
    const key = path.toLowerCase();
    if (continuing) this.moved.add(key);
    return this.moved.has(key) ? moveFirstToEnd(source) : source;
  }

  /** Whether a token issued at `issuedAtMs` is rejected though unexpired. */
  rejectsTokenIssuedAt(issuedAtMs: number | undefined): boolean {
    return this.faults.rejectIssuedTokens === true && (issuedAtMs ?? 0) < this.setAt;
  }
}
