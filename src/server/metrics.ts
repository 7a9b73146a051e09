/**
 * Prometheus metrics of one server: HTTP requests, syncs run by this process (durations, API
 * calls and 429 answers per endpoint), and, read from the store at each scrape, the objects per
 * type, each instance's last sync and the alert notifications by channel and status. One registry per server, so tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { outboxCounts } from '../notify/outbox.js';
import type { GraphStore } from '../store/index.js';
import type { SyncFinished } from './sync-control.js';

export interface ServerMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  syncFinished: SyncFinished;
}

export function createMetrics(store: GraphStore): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'defender_graph_' });
  const requests = new Counter({
    name: 'defender_graph_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'defender_graph_http_request_duration_seconds',
    help: 'HTTP request duration, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const syncSeconds = new Histogram({
    name: 'defender_graph_sync_duration_seconds',
    help: 'Duration of syncs run by this process, by instance and outcome',
    labelNames: ['instance', 'status'],
    buckets: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600],
    registers: [registry],
  });
  const perEndpoint = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['instance', 'endpoint'], registers: [registry] });
  const apiCalls = perEndpoint(
    'defender_graph_api_calls_total',
    'Microsoft API requests sent by syncs of this process (retries included), by endpoint',
  );
  const throttled = perEndpoint(
    'defender_graph_api_throttled_total',
    'HTTP 429 answers from Microsoft APIs to syncs of this process, by endpoint',
  );
  new Gauge({
    name: 'defender_graph_objects',
    help: 'Live (not deleted) objects in the graph, by kind and _type',
    labelNames: ['kind', 'type'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const count of await store.explorer.typeCounts())
        this.set({ kind: count.kind, type: count.type }, count.count);
    },
  });
  const lastSync = async () =>
    Promise.all(
      (await store.instances()).map(
        async (i) => (await store.listSyncs({ instanceId: i.id, limit: 1 }))[0],
      ),
    );
  new Gauge({
    name: 'defender_graph_last_sync_duration_seconds',
    help: "Duration of each instance's last finished-or-running sync (any process)",
    labelNames: ['instance', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const sync of await lastSync())
        if (sync?.durationMs !== undefined)
          this.set({ instance: sync.instanceName, status: sync.status }, sync.durationMs / 1000);
    },
  });
  new Gauge({
    name: 'defender_graph_last_sync_api_calls',
    help: "Microsoft API requests of each instance's last sync (any process), by endpoint",
    labelNames: ['instance', 'endpoint'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const sync of await lastSync())
        for (const [endpoint, calls] of Object.entries(sync?.apiCalls ?? {}))
          this.set({ instance: sync!.instanceName, endpoint }, calls);
    },
  });
  new Gauge({
    name: 'defender_graph_alert_deliveries',
    help: 'Alert notifications in the outbox (any process), by channel and status: pending, delivered, dead',
    labelNames: ['channel', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await outboxCounts(await store.state()))
        this.set({ channel: row.channel, status: row.status }, row.count);
    },
  });
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      requestSeconds.observe({ method, route }, seconds);
    },
    syncFinished(record, calls) {
      if (record.durationMs !== undefined)
        syncSeconds.observe(
          { instance: record.instanceName, status: record.status },
          record.durationMs / 1000,
        );
      for (const [endpoint, n] of Object.entries(calls.byLabel))
        apiCalls.inc({ instance: record.instanceName, endpoint }, n);
      for (const [endpoint, n] of Object.entries(calls.throttledByLabel))
        throttled.inc({ instance: record.instanceName, endpoint }, n);
    },
  };
}
