import { pino, type Logger } from 'pino';

/** Property names whose values never reach a log line, whatever object carries them. */
export const SECRET_FIELDS = [
  'clientSecret',
  'certificatePassword',
  'client_secret',
  'client_assertion',
  'access_token',
  'accessToken',
  'authorization',
  'Authorization',
  'password',
  'privateKey',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'defender-graph',
      level: options.level ?? process.env.DEFENDER_GRAPH_LOG_LEVEL ?? 'warn',
      redact: {
        paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
        censor: '[REDACTED]',
      },
    },
    pino.destination(2),
  );
}

export type { Logger };
