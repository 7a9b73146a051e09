/** Typed query errors: the CLI and the check command print them as they are. */

export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? message : `line ${line}, column ${column}: ${message}`);
  }
}

/** The text is not J1QL: names where, what was found and what was expected. */
export class QuerySyntaxError extends QueryError {
  override name = 'QuerySyntaxError';
  constructor(
    readonly detail: string,
    line: number,
    column: number,
    readonly found: string,
    readonly expected: string[],
  ) {
    super(detail, line, column);
  }
}

/** Valid J1QL that this engine deliberately does not run (yet): never a wrong answer instead. */
export class NotSupportedError extends QueryError {
  override name = 'NotSupportedError';
  constructor(feature: string, line?: number, column?: number) {
    super(`not supported: ${feature}`, line, column);
  }
}

/** Parses, but means nothing here: unknown alias, missing parameter, WHERE without alias. */
export class QueryValidationError extends QueryError {
  override name = 'QueryValidationError';
}

/** The query ran past a budget (time or rows) and was cancelled; the store is unchanged. */
export class QueryBudgetError extends QueryError {
  override name = 'QueryBudgetError';
  constructor(
    readonly budget: 'time' | 'rows',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The store failed to run a valid query. The message never carries the generated SQL or the
 * driver's text (they describe SQL, not J1QL); the driver's error code is kept for a report.
 */
export class QueryExecutionError extends QueryError {
  override name = 'QueryExecutionError';
  constructor(readonly code: string | undefined) {
    super(
      `the store could not run this query${code ? ` (error ${code})` : ''}; nothing was changed. Please report it with the query text`,
      1,
      1,
    );
  }
}
