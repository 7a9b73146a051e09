/**
 * The items of a page not listed before, recording them as seen. Listings can repeat rows: Defender
 * `$skip` paging over a changing list (defender-api.md §3.3), and a Graph listing that restarted
 * from its first page after its page token expired (graph-api.md §6).
 */
export function unseen<T extends { id: string }>(page: T[], seen: Set<string>): T[] {
  return page.filter((item) => !seen.has(item.id) && seen.add(item.id));
}
