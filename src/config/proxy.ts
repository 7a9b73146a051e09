import { ConfigError } from './errors.js';

/**
 * The outbound proxy every Microsoft call goes through, from the environment variables curl and
 * the Azure SDKs read. Empty strings mean "none": undici would otherwise read `process.env`
 * itself, and tests pass their own environment.
 */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

export const DIRECT: ProxySettings = { httpProxy: '', httpsProxy: '', noProxy: '' };

/** The instance metadata service is link-local: no proxy can reach it for us. */
const IMDS_HOST = '169.254.169.254';

/** `https_proxy` before `HTTPS_PROXY` (curl's order); `HTTP_PROXY` also serves HTTPS when alone. */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv): ProxySettings {
  const read = (name: string): string => {
    const value = (env[name.toLowerCase()] ?? env[name] ?? '').trim();
    if (value !== '' && name !== 'NO_PROXY' && !isProxyUrl(value))
      throw new ConfigError(
        `environment ${name}: not an http:// or https:// URL (expected http://host:port or http://user:password@host:port)`,
      );
    return value;
  };
  const noProxy = read('NO_PROXY');
  return {
    httpProxy: read('HTTP_PROXY'),
    httpsProxy: read('HTTPS_PROXY'),
    noProxy: noProxy === '*' ? noProxy : [noProxy, IMDS_HOST].filter(Boolean).join(','),
  };
}

function isProxyUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}
