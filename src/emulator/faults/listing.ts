import { z } from 'zod';
import type { Sequence } from '../tenant-view.js';

/**
 * Faults in how listings page: small server pages (so a small tenant pages at all), an item
 * repeated across two pages, an item moving between pages while a Defender `$skip` listing runs,
 * page tokens that expire, and Defender's hourly quota running out.
 */

export const listingFaultsSchema = {
  /** The server sends at most this many items per page (both APIs), whatever `$top` asks. */
  pageSize: z.number().int().min(1).optional(),
  /** Each page after the first starts one item early: the last item of a page comes again. */
  repeatAcrossPages: z.boolean().optional(),
  /**
   * Once a Defender listing asks for a later page, the first item of the list moves to its end
   * (as when a row is re-sorted), so `$skip` positions shift back by one. Graph pages by cursor.
   */
  moveDuringListing: z.boolean().optional(),
  /** `true`: every Graph `$skiptoken` is expired; a number: only the next that many are. */
  expireGraphPageTokens: z.union([z.boolean(), z.number().int().min(1)]).optional(),
  /** The next `requests` Defender calls are refused: the hourly quota is used up. */
  defenderHourlyQuota: z
    .object({
      requests: z.number().int().min(1),
      retryAfterSeconds: z.number().int().min(1).max(3600).default(2400),
    })
    .strict()
    .optional(),
  /** The next `requests` Advanced Hunting queries get the CPU-quota 429 (quota spent elsewhere). */
  huntingCpuQuota: z
    .object({
      requests: z.number().int().min(1),
      retryAfterSeconds: z.number().int().min(1).max(3600).default(60),
    })
    .strict()
    .optional(),
};

/** The list with its first item moved to the end. */
export function moveFirstToEnd(source: Sequence): Sequence {
  return {
    count: () => source.count(),
    at: (i) => {
      const n = source.count();
      if (i < 0 || i >= n) return undefined;
      return i === n - 1 ? source.at(0) : source.at(i + 1);
    },
  };
}
