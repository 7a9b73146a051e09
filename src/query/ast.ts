/** Typed syntax tree of one J1QL query, as the parser produces it (names not yet resolved). */

export interface Position {
  line: number;
  column: number;
}

/** `User` (first character upper-case) matches `_class`; `aws_instance` matches `_type`. */
export interface TargetName {
  kind: 'class' | 'type';
  value: string;
}

export type Selector =
  | { kind: 'any' }
  | { kind: 'names'; names: TargetName[] }
  | { kind: 'smartClass'; tag: string; name?: TargetName }
  | { kind: 'placeholder'; name: string };

export type DateUnit = 'hour' | 'day' | 'month' | 'year';

export type Value =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'undefined' }
  | { kind: 'regex'; pattern: string; caseInsensitive: boolean }
  | { kind: 'dateNow'; offset?: { amount: number; unit: DateUnit | 'millisecond' } }
  | { kind: 'date'; iso: string }
  | { kind: 'parameter'; name: string }
  | { kind: 'placeholder'; name: string };

export interface ValueSet {
  kind: 'set';
  connective: 'and' | 'or';
  values: Value[];
}

/**
 * A property as written: `tag.AccountName` is one segment list ['tag', 'AccountName'].
 * In WITH every segment belongs to the property name; in WHERE/RETURN/ORDER BY the first segment
 * is an alias. Bracketed names (`[tag.special-name]`) are a single segment.
 */
export interface PropertyRef {
  kind: 'property';
  segments: string[];
  position: Position;
}

export type ComparisonOperator =
  '=' | '!=' | '>' | '<' | '>=' | '<=' | '~=' | '!~=' | '^=' | '!^=' | '$=' | '!$=';

export interface Comparison {
  kind: 'compare';
  left: PropertyRef;
  op: ComparisonOperator;
  right: Value | ValueSet | PropertyRef;
}

export type Filter = Comparison | { kind: 'and' | 'or'; operands: Filter[] };

export type Direction = 'both' | 'out' | 'in';

export interface Traversal {
  kind: 'traversal';
  negated: boolean;
  /** Upper-cased verbs; `undefined` for RELATES TO (any relationship class). */
  verbs?: string[];
  direction: Direction;
  relationshipAlias?: string;
  target: Selector;
  filter?: Filter;
  alias?: string;
  position: Position;
}

export interface OptionalGroup {
  kind: 'optional';
  steps: Traversal[];
  alias?: string;
  position: Position;
}

export type Step = Traversal | OptionalGroup;

export type Root =
  | { kind: 'entities'; selector: Selector; filter?: Filter; alias?: string }
  | { kind: 'fullText'; text: string; filter?: Filter; alias?: string };

export type Expression =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | PropertyRef
  | { kind: 'allProperties'; alias: string; position: Position }
  | { kind: 'star'; position: Position }
  | { kind: 'call'; name: string; args: Expression[]; position: Position }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '^'; left: Expression; right: Expression }
  | { kind: 'negate'; operand: Expression };

export interface ReturnItem {
  expression: Expression;
  /** The column key: the AS name, else the expression as written. */
  column: string;
}

export type ReturnClause = { kind: 'tree' } | { kind: 'items'; items: ReturnItem[] };

export interface OrderKey {
  key: PropertyRef;
  descending: boolean;
}

export interface Query {
  unique: boolean;
  root: Root;
  steps: Step[];
  where?: Filter;
  return?: ReturnClause;
  having?: Filter;
  orderBy?: OrderKey[];
  skip?: number;
  limit?: number;
}
