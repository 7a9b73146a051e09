/** Bad flags, config or query text: exit code 2 with the message alone, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}
