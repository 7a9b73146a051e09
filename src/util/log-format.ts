/** pino's JSON log lines as lines a person reads: `12:04:31Z WARN  message  key=value …`. */

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** ANSI colours of the level names on a terminal. */
const COLORS: Record<number, string> = { 40: '33', 50: '31', 60: '31' };

/** pino's own fields, shown in the line's fixed parts or left out. */
const FIXED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v && typeof v === 'object' && 'message' in v && typeof v.message === 'string')
    return JSON.stringify(v.message);
  return JSON.stringify(v) ?? String(v);
}

export function prettyLogLine(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = Number(entry.level);
  const name = (LEVELS[level] ?? String(entry.level)).padEnd(5);
  const shown = color && COLORS[level] ? `\u001b[${COLORS[level]}m${name}\u001b[0m` : name;
  const time =
    typeof entry.time === 'number' ? `${new Date(entry.time).toISOString().slice(11, 19)}Z ` : '';
  const fields = Object.entries(entry)
    .filter(([k]) => !FIXED.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  return `${time}${shown} ${[message, ...fields].filter(Boolean).join('  ')}\n`;
}
