/** Requests to the emulated APIs (not the admin API) per normalised route and status, for `GET /admin/stats`. */
export interface StatsSnapshot {
  total: number;
  /** `{ "GET /graph/v1.0/users": { "200": 3, "429": 1 } }`; a destroyed connection counts as "reset". */
  requests: Record<string, Record<string, number>>;
}

export class RequestStats {
  private total = 0;
  private readonly byRoute = new Map<string, Map<string, number>>();

  record(route: string, status: number | 'reset'): void {
    this.total++;
    let statuses = this.byRoute.get(route);
    if (!statuses) this.byRoute.set(route, (statuses = new Map()));
    const key = String(status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    const requests: StatsSnapshot['requests'] = {};
    for (const [route, statuses] of [...this.byRoute].sort(([a], [b]) => a.localeCompare(b)))
      requests[route] = Object.fromEntries(statuses);
    return { total: this.total, requests };
  }

  reset(): void {
    this.total = 0;
    this.byRoute.clear();
  }
}
