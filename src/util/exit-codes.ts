/** Exit codes are part of the CLI contract; docs/cli.md lists them. */
export const ExitCode = {
  OK: 0,
  /** The command ran and failed (sync failed, query failed, connection refused). */
  FAILED: 1,
  /** Bad usage or configuration: a flag, a config field, a query's syntax. */
  USAGE: 2,
  /**
   * A sync committed but did not apply everything: partial data (a failed or forbidden step) or
   * deletions held back by the mass-deletion guard.
   */
  PARTIAL: 3,
  /** `validate`: one or more permissions are missing. */
  MISSING_PERMISSIONS: 4,
  /** `alerts show`/`ack`/`dismiss`, `rules enable`/`disable`: no such alert or rule. */
  NOT_FOUND: 5,
  /** `sync`, `collect`, `demo`: stopped by Ctrl+C (SIGINT) before anything was committed; 128 + 2 as shells report it. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
