// The one way the UI talks to the server: typed calls to /api/v1, one error type, the CSRF token.
import type {
  Alert,
  AlertDetail,
  ChangeList,
  EntityDetail,
  Instance,
  Me,
  Neighbours,
  Overview,
  QueryRequest,
  QueryResponse,
  Schema,
  SyncDetail,
  SyncSummary,
  User,
  Version,
} from './types';

const BASE = '/api/v1';

/** Any failed call: the server's code and message, and for J1QL the position of the mistake. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;

/** The server hands the token out with the session; every state-changing request carries it. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string; line?: number; column?: number } } | undefined;
  const e = body?.error;
  return new ApiError(
    res.status,
    e?.code ?? `http_${res.status}`,
    e?.message ?? `${res.status} ${res.statusText}`,
    e?.line,
    e?.column,
  );
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(BASE + path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res);
  return res;
}

async function json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await call(method, path, body);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const id = encodeURIComponent;

export const api = {
  me: () => json<Me>('GET', '/auth/me'),
  login: (username: string, password: string) =>
    json<{ user: User; csrfToken: string }>('POST', '/auth/login', { username, password }),
  logout: () => json<{ ok: true }>('POST', '/auth/logout', {}),

  overview: () => json<Overview>('GET', '/overview'),
  schema: () => json<Schema>('GET', '/schema'),

  instances: () => json<{ instances: Instance[] }>('GET', '/instances'),
  runSync: (instance: string) =>
    json<{ queued: boolean; reason?: string }>('POST', `/instances/${id(instance)}/sync`, {}),
  syncs: (filters: { instance?: string; limit?: number } = {}) =>
    json<{ syncs: SyncSummary[] }>('GET', `/syncs${query(filters)}`),
  sync: (syncId: number) => json<SyncDetail>('GET', `/syncs/${syncId}`),
  changes: (
    syncId: number,
    filters: { kind?: string; class?: string; type?: string; cursor?: string } = {},
  ) => json<ChangeList>('GET', `/syncs/${syncId}/changes${query(filters)}`),

  query: (request: QueryRequest) => json<QueryResponse>('POST', '/query', request),
  queryCsv: async (request: QueryRequest) => (await call('POST', '/query/csv', request)).blob(),

  entity: (idOrKey: string) => json<EntityDetail>('GET', `/entities/${id(idOrKey)}`),
  neighbours: (idOrKey: string, relationshipClass?: string) =>
    json<Neighbours>(
      'GET',
      `/entities/${id(idOrKey)}/neighbours${query({ relationshipClass, limit: 1000 })}`,
    ),
  versions: (idOrKey: string) =>
    json<{ versions: Version[] }>('GET', `/entities/${id(idOrKey)}/versions`),

  /** Open alerts, or every alert (resolved ones too). */
  alerts: (all = false) => json<{ alerts: Alert[] }>('GET', `/alerts${all ? '?open=false' : ''}`),
  alert: (alertId: string) => json<AlertDetail>('GET', `/alerts/${id(alertId)}`),
  noteAlert: (alertId: number, verdict: 'acknowledge' | 'dismiss', note: string) =>
    json<Alert>('POST', `/alerts/${alertId}/${verdict}`, { note }),
};
