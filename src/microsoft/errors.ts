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
};

/** Turns an @azure/identity failure into a one-line reason that names the AADSTS code. */
export function tokenError(err: unknown, resource: string): MicrosoftApiError {
  const text = err instanceof Error ? err.message : String(err);
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
  const meaning = aadsts ? AADSTS_MEANINGS[aadsts] : undefined;
  const detail = aadsts
    ? `AADSTS${aadsts}${meaning ? `: ${meaning}` : ''}`
    : (text.split('\n')[0] ?? text).slice(0, 300);
  return new MicrosoftApiError({
    api: 'identity',
    endpoint: `token for ${resource}`,
    code: aadsts ? `AADSTS${aadsts}` : 'TOKEN_FAILED',
    message: `cannot get a token for ${resource}: ${detail}`,
  });
}
