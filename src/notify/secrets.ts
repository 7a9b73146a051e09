/**
 * `${VAR}` references in a notification's fields are resolved only when it is sent, from the
 * environment: the store, the logs and the alerts keep the reference, never the secret.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  /** Retrying cannot help (bad URL, missing variable, refused by policy): dead-letter at once. */
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function resolveSecrets(text: string, env: NodeJS.ProcessEnv, field: string): string {
  return text.replace(ENV_REFERENCE, (_match, name: string) => {
    const value = env[name];
    if (value === undefined || value === '')
      throw new DeliveryError(`${field}: environment variable ${name} is not set`, true);
    return value;
  });
}

/** Replaces every secret value in a message (a driver error may echo a URL) by its reference. */
export function redactSecrets(message: string, text: string, env: NodeJS.ProcessEnv): string {
  let redacted = message;
  for (const match of text.matchAll(ENV_REFERENCE)) {
    const value = env[match[1]!];
    if (value) redacted = redacted.split(value).join(match[0]);
  }
  return redacted;
}
