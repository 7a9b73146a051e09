import { resourceApi, secretsEqual, type RegisteredApp, type ResourceApi } from './applications.js';
import { json, type Reply, type RequestContext, type Route } from './http.js';
import type { EmulatorServices, FaultableResponses } from './services.js';
import { fields } from './tenant-view.js';
import { verifyClientAssertion } from './tokens.js';
import { tokenRefusal } from './faults/identity.js';

/** The Microsoft identity platform: token endpoints and discovery (graph-api.md §1). */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface AadError {
  status: number;
  error: string;
  code: number;
  description: string;
  retryAfterSeconds?: number;
}

function aadTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Entra's error body; trace id = `x-ms-request-id`, correlation id = the client's request id. */
function aadError(ctx: RequestContext, e: AadError): Reply {
  const timestamp = aadTimestamp(new Date());
  return json(
    e.status,
    {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${ctx.requestId} Correlation ID: ${ctx.clientRequestId} Timestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: ctx.requestId,
      correlation_id: ctx.clientRequestId,
      error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
    },
    {
      ...noStore(ctx),
      'x-ms-clitelem': `1,${e.code},0,,`,
      ...(e.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(e.retryAfterSeconds) }),
    },
  );
}

function noStore(ctx: RequestContext): Record<string, string> {
  return {
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    'Content-Type': 'application/json; charset=utf-8',
    'x-ms-request-id': ctx.requestId,
    'x-ms-ests-server': 'defender-graph emulator',
  };
}

class AadFailure extends Error {
  constructor(readonly failure: AadError) {
    super(failure.description);
  }
}

const refuse = (status: number, error: string, code: number, description: string) =>
  new AadFailure({ status, error, code, description });

const wrongSecret = (clientId: string) =>
  refuse(
    401,
    'invalid_client',
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
  );

const missingParameter = (name: string) =>
  refuse(
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );

/** The tenant a path names: our GUID or one of the organization's verified domains. */
function resolveTenant(services: EmulatorServices, tenant: string): void {
  if (!GUID.test(tenant) && !DNS_NAME.test(tenant))
    throw refuse(
      400,
      'invalid_request',
      900023,
      `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
    );
  if (!tenantMatches(services, tenant))
    throw refuse(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
}

function tenantMatches(services: EmulatorServices, tenant: string): boolean {
  const t = tenant.toLowerCase();
  if (t === services.tenant.tenantId.toLowerCase()) return true;
  const domains = fields(services.tenant.organization()).verifiedDomains;
  return (
    Array.isArray(domains) &&
    domains.some((d) => String(fields(d as object).name).toLowerCase() === t)
  );
}

function tenantDisplayName(services: EmulatorServices): string {
  return String(fields(services.tenant.organization()).displayName ?? services.tenant.tenantId);
}

/** The resource a v2 `scope` or a v1 `resource` names, and its API. */
function requestedResource(form: URLSearchParams, v1: boolean, services: EmulatorServices) {
  const resource = v1 ? form.get('resource') : form.get('scope');
  if (resource === null || resource.trim() === '')
    throw missingParameter(v1 ? 'resource' : 'scope');
  let audience = resource.trim();
  if (!v1) {
    if (!audience.endsWith('/.default'))
      throw refuse(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${audience} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    audience = audience.slice(0, -'/.default'.length);
  }
  const api = resourceApi(audience);
  if (api === undefined)
    throw refuse(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${audience} was not found in the tenant named ${tenantDisplayName(services)}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  return { audience, api };
}

/** Authenticates the client by secret or by certificate assertion; returns whether it used a certificate. */
async function authenticateClient(
  ctx: RequestContext,
  form: URLSearchParams,
  app: RegisteredApp,
  tenant: string,
): Promise<boolean> {
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret !== null) {
    if (secretsEqual(secret, app.secret)) return false;
    if (secretsEqual(secret, app.expiredSecret))
      throw refuse(
        401,
        'invalid_client',
        7000222,
        `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      );
    throw wrongSecret(app.clientId);
  }
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER)
      throw refuse(
        400,
        'invalid_request',
        50027,
        `Invalid client_assertion_type: expected '${JWT_BEARER}'.`,
      );
    if (app.certificate === undefined)
      throw refuse(
        401,
        'invalid_client',
        700027,
        'Client assertion failed signature validation. No certificate is registered for this application.',
      );
    const audiences = ['oauth2/v2.0/token', 'oauth2/token'].map(
      (p) => `${ctx.origin}/${tenant}/${p}`,
    );
    const problem = await verifyClientAssertion(
      assertion,
      app.certificate.publicKey,
      app.clientId,
      audiences,
    );
    if (problem === 'signature')
      throw refuse(
        401,
        'invalid_client',
        700027,
        'Client assertion contains an invalid signature.',
      );
    if (problem === 'lifetime')
      throw refuse(
        401,
        'invalid_client',
        700024,
        'Client assertion is not within its valid time range.',
      );
    // Codes for a wrong audience or subject are UNCONFIRMED; these are Entra's assertion codes.
    if (problem === 'audience')
      throw refuse(
        401,
        'invalid_client',
        50013,
        'Assertion failed validation: the audience claim is not the token endpoint.',
      );
    if (problem === 'subject')
      throw refuse(
        401,
        'invalid_client',
        700021,
        "Client assertion application identifier doesn't match 'client_id' parameter.",
      );
    return true;
  }
  throw refuse(
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

/** `client_secret_basic` (RFC 6749 §2.3.1): id and secret, form-encoded, in `Authorization: Basic`. */
function withBasicCredentials(
  form: URLSearchParams,
  authorization: string | undefined,
): URLSearchParams {
  const encoded = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (encoded === undefined) return form;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return form;
  const unescape = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
  if (!form.has('client_id')) form.set('client_id', unescape(decoded.slice(0, colon)));
  form.set('client_secret', unescape(decoded.slice(colon + 1)));
  return form;
}

function grantedRoles(services: EmulatorServices, api: ResourceApi): string[] {
  return services.apps.grantedRoles(api).filter((role) => !services.faults.isRevoked(api, role));
}

function tokenEndpoint(services: EmulatorServices, v1: boolean) {
  return async (ctx: RequestContext): Promise<Reply> => {
    try {
      const tenant = ctx.params.tenant ?? '';
      resolveTenant(services, tenant);
      const form = withBasicCredentials(
        new URLSearchParams(ctx.body),
        ctx.req.headers.authorization,
      );
      const grantType = form.get('grant_type');
      if (grantType === null) throw missingParameter('grant_type');
      if (grantType !== 'client_credentials')
        throw refuse(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${grantType}'.`,
        );
      const clientId = form.get('client_id');
      if (clientId === null || clientId === '') throw missingParameter('client_id');
      const { audience, api } = requestedResource(form, v1, services);
      const app = services.apps.byClientId(clientId);
      if (app === undefined)
        throw refuse(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${clientId}' was not found in the directory '${tenantDisplayName(services)}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        );
      const { revokeSecret, tokenFailure } = services.faults.current;
      // A revoked or rotated secret is answered as any wrong secret is.
      if (revokeSecret && secretsEqual(form.get('client_secret') ?? '', app.secret))
        throw wrongSecret(app.clientId);
      const certificateCredential = await authenticateClient(ctx, form, app, tenant);
      if (tokenFailure) throw new AadFailure(tokenRefusal(tokenFailure, app));
      const issued = await services.tokens.issue({
        tenantId: services.tenant.tenantId,
        app,
        audience,
        roles: grantedRoles(services, api),
        certificateCredential,
      });
      const lifetime = issued.expiresAt - issued.issuedAt;
      // v1 answers carry its numbers as strings (defender-api.md §1.2).
      const body = v1
        ? {
            token_type: 'Bearer',
            expires_in: String(lifetime),
            ext_expires_in: String(lifetime),
            expires_on: String(issued.expiresAt),
            not_before: String(issued.issuedAt),
            resource: audience,
            access_token: issued.token,
          }
        : {
            token_type: 'Bearer',
            expires_in: lifetime,
            ext_expires_in: lifetime,
            access_token: issued.token,
          };
      return json(200, body, noStore(ctx));
    } catch (err) {
      if (err instanceof AadFailure) return aadError(ctx, err.failure);
      throw err;
    }
  };
}

/** OpenID configuration with this server's own host in every endpoint (graph-api.md §1.4). */
function openIdConfiguration(services: EmulatorServices) {
  return (ctx: RequestContext): Reply => {
    const tenant = ctx.params.tenant ?? '';
    try {
      resolveTenant(services, tenant);
    } catch (err) {
      if (!(err instanceof AadFailure)) throw err;
      return aadError(ctx, { ...err.failure, error: 'invalid_tenant' });
    }
    const tid = services.tenant.tenantId;
    const o = ctx.origin;
    return json(
      200,
      {
        token_endpoint: `${o}/${tid}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${o}/${tid}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${o}/${tid}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${o}/oidc/userinfo`,
        authorization_endpoint: `${o}/${tid}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${o}/${tid}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${o}/${tid}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'ver', 'oid', 'roles'],
        kerberos_endpoint: `${o}/${tid}/kerberos`,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
      { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' },
    );
  };
}

function instanceDiscovery(ctx: RequestContext): Reply {
  const host = ctx.url.host;
  const authorization = ctx.query.get('authorization_endpoint') ?? '';
  const tenant = /^https:\/\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'common';
  return json(
    200,
    {
      tenant_discovery_endpoint: `${ctx.origin}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
    { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' },
  );
}

export function identityRoutes(services: EmulatorServices): Route[] {
  const route = (method: string, pattern: string, handle: Route['handle']): Route => ({
    method,
    pattern,
    family: 'identity',
    handle,
  });
  return [
    route('POST', '/{tenant}/oauth2/v2.0/token', tokenEndpoint(services, false)),
    route('POST', '/{tenant}/oauth2/token', tokenEndpoint(services, true)),
    route('GET', '/{tenant}/v2.0/.well-known/openid-configuration', openIdConfiguration(services)),
    route('GET', '/common/discovery/instance', instanceDiscovery),
    route('GET', '/{tenant}/discovery/v2.0/keys', () => json(200, services.tokens.jwks)),
  ];
}

const serviceError = (
  ctx: RequestContext,
  status: number,
  error: string,
  description: string,
): Reply =>
  json(
    status,
    {
      error,
      error_description: `${description} Trace ID: ${ctx.requestId} Correlation ID: ${ctx.clientRequestId} Timestamp: ${aadTimestamp(new Date())}`,
      error_codes: [],
      trace_id: ctx.requestId,
      correlation_id: ctx.clientRequestId,
    },
    noStore(ctx),
  );

export const identityResponses: FaultableResponses = {
  notFound: (ctx) =>
    serviceError(ctx, 404, 'invalid_request', `The path ${ctx.url.pathname} does not exist.`),
  methodNotAllowed: (ctx, allowed) =>
    json(
      405,
      { error: 'invalid_request', error_description: `Use ${allowed.join(' or ')}.` },
      { Allow: allowed.join(', ') },
    ),
  // Entra's throttling body is UNCONFIRMED; `temporarily_unavailable` is the OAuth 2.0 error for it.
  injected429: (ctx, retryAfter) => ({
    ...serviceError(ctx, 429, 'temporarily_unavailable', 'The request was throttled.'),
    headers: { ...noStore(ctx), 'Retry-After': String(retryAfter) },
  }),
  injected5xx: (ctx) =>
    serviceError(ctx, 503, 'temporarily_unavailable', 'The service is temporarily unavailable.'),
};
