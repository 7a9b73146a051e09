/** Bad flags, config or query text: exit code 2 with the message alone, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** What was wrong, for the `--json` error document: `usage`, `config` or `query`. */
  constructor(
    message: string,
    readonly code: 'usage' | 'config' | 'query' = 'usage',
  ) {
    super(message);
  }
}
