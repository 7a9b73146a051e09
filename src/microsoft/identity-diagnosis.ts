import { request, type Dispatcher } from 'undici';

/**
 * MSAL reports every failure to reach the authority (discovery answering 503, an unknown tenant,
 * a login host that does not answer) as one "endpoints_resolution_error" that names none of
 * them. This asks the discovery document once more, directly, and says what actually happened:
 * the host, the HTTP status or network cause, and the AADSTS code when the answer carries one.
 */

const PROBE_TIMEOUT_MS = 15_000;

export interface AuthorityDiagnosis {
  host: string;
  /** e.g. `HTTP 503 from GET /{tenant}/v2.0/.well-known/openid-configuration`, or the network cause. */
  cause: string;
  /** The AADSTS number in the answer, if any. */
  aadsts?: string;
  /** The answer's own description (first line), for codes without a known meaning. */
  description?: string;
}

function networkCause(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const inner = e.cause ?? e;
  const code = inner.code ?? e.code;
  return `${code ? `${code}: ` : ''}${inner.message ?? e.message ?? String(err)}`;
}

export async function diagnoseAuthority(
  authority: string,
  tenantId: string,
  dispatcher: Dispatcher,
): Promise<AuthorityDiagnosis> {
  const url = `${authority}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
  const host = new URL(authority).host;
  try {
    const response = await request(url, {
      dispatcher,
      headersTimeout: PROBE_TIMEOUT_MS,
      bodyTimeout: PROBE_TIMEOUT_MS,
    });
    const text = await response.body.text();
    const path = `GET /${tenantId}/v2.0/.well-known/openid-configuration`;
    if (response.statusCode === 200)
      return { host, cause: `discovery answers (${path} is 200): the token request itself failed` };
    const description = errorDescription(text);
    return {
      host,
      cause: `HTTP ${response.statusCode} from ${path}`,
      aadsts: /AADSTS(\d+)/.exec(description ?? '')?.[1],
      description,
    };
  } catch (err) {
    return { host, cause: `unreachable (${networkCause(err)})` };
  }
}

/** Entra's `error_description` (first line), else the start of a non-JSON body. */
function errorDescription(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error_description?: unknown; error?: unknown };
    if (typeof body.error_description === 'string')
      return body.error_description.split(/\r?\n| Trace ID:/)[0];
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: a gateway page, described below
  }
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  if (title) return `an HTML page titled "${title}"`;
  return text.trim() === '' ? undefined : text.trim().slice(0, 120);
}
