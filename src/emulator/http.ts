import type { IncomingMessage } from 'node:http';

/** What a handler answers; the server writes it, counts it in the stats and applies faults. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
}

/** Which family of API a route belongs to: decides the error envelope and whether faults apply. */
export type ApiFamily = 'identity' | 'graph' | 'defender' | 'admin';

export interface RequestContext {
  req: IncomingMessage;
  method: string;
  url: URL;
  /** `https://127.0.0.1:PORT`: every absolute URL the emulator emits starts with it. */
  origin: string;
  params: Record<string, string>;
  /** Query parameters, URL-decoded; keys as sent. */
  query: URLSearchParams;
  body: string;
  requestId: string;
  /** The client's `client-request-id` (Graph) or `x-ms-client-request-id` (identity), else requestId. */
  clientRequestId: string;
  /** Normalised route, e.g. `GET /defender/api/machines/{id}/logonusers`. */
  route: string;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  /** Path pattern with `{name}` segments, e.g. `/graph/v1.0/groups/{id}/members`. */
  pattern: string;
  family: ApiFamily;
  handle: Handler;
}

interface CompiledRoute extends Route {
  segments: string[];
}

/** Literal segments match case-insensitively (both Microsoft APIs accept `/api/Machines`). */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): void {
    for (const r of routes) this.routes.push({ ...r, segments: r.pattern.split('/').slice(1) });
  }

  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
    const parts = path.split('/').slice(1);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }

  /** The API family a path belongs to, by its first segment; used for unmatched paths. */
  familyOf(path: string): ApiFamily {
    const first = path.split('/')[1]?.toLowerCase();
    return first === 'graph' || first === 'defender' || first === 'admin' ? first : 'identity';
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[i]!;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (part === '') return undefined;
      try {
        params[p.slice(1, -1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (p.toLowerCase() !== part.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

/** Thrown by a handler to answer with `reply` at once (an auth, validation or quota refusal). */
export class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(`request refused with ${reply.status}`);
  }
}

/** Builds one API's error envelope; each API has its own shape. */
export type ErrorReply = (
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
) => Reply;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}
