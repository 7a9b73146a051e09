import Table from 'cli-table3';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(
  head: string[],
  rows: (string | number | boolean | null | undefined)[][],
): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  process.stdout.write(`${table.toString()}\n`);
}

/** Width to wrap prose to: the terminal's, else 80 (a pipe or a file). */
export function outputWidth(): number {
  return process.stdout.columns || 80;
}

/** `text` broken at spaces into lines of at most `width` characters, each after `indent`. */
export function wrap(text: string, width: number, indent = ''): string {
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

/** `…On` properties hold epoch milliseconds (J1 convention): a person reads them as ISO 8601. */
export function showValue(property: string, value: unknown): string {
  if (value === undefined) return '(none)';
  if (property.endsWith('On') && typeof value === 'number' && Number.isFinite(value))
    return new Date(value).toISOString();
  return JSON.stringify(value);
}

/** One property change, `name: before → after`. */
export function showChange(c: { property: string; before?: unknown; after?: unknown }): string {
  return `${c.property}: ${showValue(c.property, c.before)} → ${showValue(c.property, c.after)}`;
}

/** An object's key with its display name beside it, when it has one. */
export function keyAndName(key: string, displayName: unknown): string {
  return typeof displayName === 'string' && displayName !== '' && displayName !== key
    ? `${key} (${displayName})`
    : key;
}
