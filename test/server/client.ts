import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { expect } from 'vitest';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

type OpenApi = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
};

/**
 * Talks to a running server over real HTTP, keeps its cookies, and checks every JSON answer
 * against the server's own OpenAPI document: the route's schema for that status.
 */
export class ApiClient {
  private readonly cookies = new Map<string, string>();
  private readonly validators = new Map<string, ValidateFunction>();
  private doc: OpenApi | undefined;
  /** Every body received, for the "no secret in any response" check. */
  readonly seen: string[] = [];
  csrf: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  private async openApi(): Promise<OpenApi> {
    if (!this.doc) {
      const res = await fetch(`${this.baseUrl}/api/openapi.json`);
      expect(res.status).toBe(200);
      this.doc = (await res.json()) as OpenApi;
    }
    return this.doc;
  }

  private async validator(
    method: string,
    template: string,
    status: number,
  ): Promise<ValidateFunction> {
    const id = `${method} ${template} ${status}`;
    let validate = this.validators.get(id);
    if (!validate) {
      const operation = (await this.openApi()).paths[template]?.[method.toLowerCase()];
      const schema = operation?.responses[String(status)]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`the OpenAPI document has no ${status} JSON answer for ${id}`);
      validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
      this.validators.set(id, validate);
    }
    return validate;
  }

  /** `template` is the OpenAPI path (`/api/v1/syncs/{id}`); `params` fill it. */
  async call<T = unknown>(
    method: 'GET' | 'POST',
    template: string,
    options: {
      params?: Record<string, string | number>;
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      headers?: Record<string, string>;
      /** Not described as JSON in the document (CSV, metrics). */
      raw?: boolean;
    } = {},
  ): Promise<ApiResponse<T>> {
    let path = template;
    for (const [name, value] of Object.entries(options.params ?? {}))
      path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) search.set(name, String(value));
    const headers: Record<string, string> = { ...this.headers, ...options.headers };
    if (this.cookies.size)
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.csrf && method === 'POST' && !('x-csrf-token' in headers))
      headers['x-csrf-token'] = this.csrf;
    const res = await fetch(`${this.baseUrl}${path}${search.size ? `?${search}` : ''}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    this.seen.push(text);
    if (options.raw) return { status: res.status, headers: res.headers, text, body: text as T };
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text) as T;
    const validate = await this.validator(method, template, res.status);
    if (!validate(body))
      throw new Error(
        `${method} ${path} ${res.status} does not match the OpenAPI document: ${JSON.stringify(validate.errors?.slice(0, 3))}`,
      );
    return { status: res.status, headers: res.headers, text, body };
  }

  get<T = unknown>(template: string, options?: Parameters<ApiClient['call']>[2]) {
    return this.call<T>('GET', template, options);
  }

  post<T = unknown>(template: string, options?: Parameters<ApiClient['call']>[2]) {
    return this.call<T>('POST', template, options);
  }

  /** Reads the CSRF token (and its cookie) the way the UI does at start. */
  async fetchCsrf(): Promise<string> {
    const me = await this.get<{ csrfToken: string }>('/api/v1/auth/me');
    this.csrf = me.body.csrfToken;
    return this.csrf;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}
