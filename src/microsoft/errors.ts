import type { StepError } from '../graph/types.js';

export type ApiName = 'graph' | 'defender' | 'identity';

/** A failed call to Graph or Defender, after retries: which API, endpoint, status and what to do. */
export class MicrosoftApiError extends Error {
  override name = 'MicrosoftApiError';
  readonly api: ApiName;
  readonly endpoint: string;
  readonly status?: number;
  /** FORBIDDEN, UNAUTHORIZED, NOT_FOUND, THROTTLED, SERVER_ERROR, NETWORK, TIMEOUT, BAD_RESPONSE… */
  readonly code: string;
  /** The service's own error code, e.g. Authorization_RequestDenied. */
  readonly serviceCode?: string;
  /** For a 403: the application permission that grants the endpoint. */
  readonly permission?: string;

  constructor(fields: {
    api: ApiName;
    endpoint: string;
    code: string;
    message: string;
    status?: number;
    serviceCode?: string;
    permission?: string;
  }) {
    super(fields.message);
    this.api = fields.api;
    this.endpoint = fields.endpoint;
    this.code = fields.code;
    this.status = fields.status;
    this.serviceCode = fields.serviceCode;
    this.permission = fields.permission;
  }

  toStepError(): StepError {
    return {
      code: this.code,
      message: this.message,
      permission: this.permission,
      api: this.api,
      endpoint: this.endpoint,
      status: this.status,
    };
  }
}

/** What the common AADSTS codes mean for someone configuring an app registration. */
const AADSTS_MEANINGS: Record<string, string> = {
  '7000215': 'the client secret is wrong (use the secret value, not its id)',
  '7000222': 'the client secret has expired: create a new one',
  '7000218': 'no client secret or certificate was sent',
  '700016': 'the client id is not an application in this tenant',
  '90002': 'the tenant does not exist',
  '900023': 'the tenant id is not a GUID or domain name',
  '500011':
    'the API (resource) has no service principal in the tenant: add and consent its permissions',
  '700027': 'the certificate does not match one uploaded to the app registration',
  '700024': 'the client assertion is outside its validity window (check the clock)',
  '1002012': 'the scope must end with /.default for client credentials',
  '50049': 'unknown authority: set endpoints.authority correctly',
  '7000112': 'the application is disabled in the tenant: re-enable its enterprise application',
  '65001': 'admin consent for the application was withdrawn: grant admin consent again',
  '53003': 'a Conditional Access policy blocks token issuance for this application',
  '90055': 'the token endpoint is throttling requests: wait and retry later',
};

/** What a failed token request is known to have met, beyond the library's own message. */
export interface TokenFailureContext {
  /** The login host asked (host:port). */
  host: string;
  /** The last answer the identity platform gave in this attempt, e.g. `POST /{t}/oauth2/v2.0/token`. */
  answer?: { request: string; status: number };
  /** Set when the library named no AADSTS code: what asking discovery directly found. */
  diagnosis?: { cause: string; aadsts?: string; description?: string };
}

/**
 * Turns an @azure/identity failure into one line naming the login host, the HTTP status or
 * network cause, and the AADSTS code with its meaning when there is one.
 */
export function tokenError(
  err: unknown,
  resource: string,
  context: TokenFailureContext,
): MicrosoftApiError {
  const text = err instanceof Error ? err.message : String(err);
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1] ?? context.diagnosis?.aadsts;
  const meaning = aadsts ? AADSTS_MEANINGS[aadsts] : undefined;
  const { answer, diagnosis } = context;
  const parts: string[] = [];
  if (diagnosis) parts.push(diagnosis.cause);
  if (answer && answer.status >= 400 && !diagnosis?.cause.startsWith('HTTP'))
    parts.push(`${answer.request} answered HTTP ${answer.status}`);
  if (aadsts) {
    const description = meaning ?? diagnosis?.description ?? firstLine(text);
    parts.push(`AADSTS${aadsts}: ${description.replace(/^AADSTS\d+:\s*/, '')}`);
  } else if (diagnosis?.description) {
    parts.push(diagnosis.description);
  } else if (!/endpoints_resolution_error/.test(text) || diagnosis === undefined) {
    parts.push(firstLine(text));
  }
  return new MicrosoftApiError({
    api: 'identity',
    endpoint: `token for ${resource}`,
    code: aadsts ? `AADSTS${aadsts}` : 'TOKEN_FAILED',
    status: answer && answer.status >= 400 ? answer.status : undefined,
    message: `cannot get a token for ${resource} from login host ${context.host}: ${parts.join(', ')}`,
  });
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).slice(0, 300);
}
