/**
 * The API's one error shape, `{ error: { code, message, line?, column? } }`, and the mapping of
 * every error the server meets (validation, J1QL, store, plugins) onto it.
 */
import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { NotSupportedError, QueryError, QuerySyntaxError } from '../query/errors.js';

export interface ErrorPayload {
  error: { code: string; message: string; line?: number; column?: number };
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly position?: { line: number; column: number },
  ) {
    super(message);
  }

  get payload(): ErrorPayload {
    return { error: { code: this.code, message: this.message, ...this.position } };
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** J1QL errors keep their position; the message is the bare detail, the position is separate. */
export function queryApiError(err: QueryError): ApiError {
  const code =
    err instanceof QuerySyntaxError
      ? 'query_syntax'
      : err instanceof NotSupportedError
        ? 'query_not_supported'
        : 'query_invalid';
  const message =
    err.line === undefined ? err.message : err.message.replace(/^line \d+, column \d+: /, '');
  const position = err.line === undefined ? undefined : { line: err.line, column: err.column ?? 1 };
  return new ApiError(400, code, message, position);
}

const PLUGIN_CODES: Record<string, { status: number; code: string }> = {
  FST_CSRF_MISSING_SECRET: { status: 403, code: 'csrf' },
  FST_CSRF_INVALID_TOKEN: { status: 403, code: 'csrf' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'bad_request' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'bad_request' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'too_large' },
};

/** Any thrown value as an ApiError; unexpected ones become a 500 whose message says nothing inside. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof QueryError) return queryApiError(err);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((issue) => {
      const where = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
      return `${err.validationContext ?? 'request'}${where ? `.${where}` : ''}: ${issue.message}`;
    });
    return new ApiError(400, 'bad_request', issues.join('; '));
  }
  const fastifyError = err as Partial<FastifyError>;
  const known = fastifyError.code ? PLUGIN_CODES[fastifyError.code] : undefined;
  if (known) return new ApiError(known.status, known.code, fastifyError.message ?? known.code);
  if (fastifyError.statusCode === 429)
    return new ApiError(429, 'rate_limited', fastifyError.message ?? 'too many requests');
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  )
    return new ApiError(fastifyError.statusCode, 'bad_request', fastifyError.message ?? '');
  return new ApiError(500, 'internal', 'internal error: see the server log');
}
