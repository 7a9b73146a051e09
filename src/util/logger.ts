import { pino, type Logger } from 'pino';
import { prettyLogLine } from './log-format.js';

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

/** `auto`: readable lines when stderr is a terminal, JSON lines otherwise (files, pipes, services). */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What the command line chose (`--quiet`, `--verbose`, `--log-format`); unset keeps the defaults. */
const settings: { level?: string; format: LogFormat } = { format: 'auto' };

/** Where readable lines go: stderr, or above the progress bars while they are drawn. */
let prettySink: (line: string) => void = (line) => process.stderr.write(line);

export function configureLogging(options: { level?: string; format?: LogFormat }): void {
  settings.level = options.level;
  settings.format = options.format ?? 'auto';
}

/** Sends readable log lines to `sink` until the returned function is called. */
export function routeLogLines(sink: (line: string) => void): () => void {
  const previous = prettySink;
  prettySink = sink;
  return () => {
    prettySink = previous;
  };
}

function pretty(): boolean {
  return settings.format === 'pretty' || (settings.format === 'auto' && process.stderr.isTTY);
}

/**
 * Level: `--quiet`/`--verbose`, else DEFENDER_GRAPH_LOG_LEVEL, else the command's default (`warn`;
 * `serve` passes `info`).
 */
export function createLogger(options: { defaultLevel?: string; name?: string } = {}): Logger {
  const color = settings.format === 'auto' && process.stderr.isTTY === true;
  return pino(
    {
      name: options.name ?? 'defender-graph',
      level:
        settings.level ?? process.env.DEFENDER_GRAPH_LOG_LEVEL ?? options.defaultLevel ?? 'warn',
      redact: {
        paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
        censor: '[REDACTED]',
      },
    },
    pretty()
      ? { write: (line: string) => prettySink(prettyLogLine(line, color)) }
      : pino.destination(2),
  );
}

export type { Logger };
