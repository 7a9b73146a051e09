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
