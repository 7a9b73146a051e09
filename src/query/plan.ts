import type {
  Direction,
  Filter,
  Query,
  Selector,
  Step,
  Traversal,
  Value,
  ValueSet,
} from './ast.js';
import { NotSupportedError, QueryValidationError } from './errors.js';

/** A selector as the SQL sees it: smart classes are already a name plus a filter. */
export type PlainSelector = Exclude<Selector, { kind: 'smartClass' }>;

/** One entity position in the chain: table alias `n{id}` in SQL. */
export interface NodeSpec {
  id: number;
  selector: PlainSelector;
  filter?: Filter;
  /** Full-text search root (`FIND "term"`): the term, or the placeholder standing for it. */
  search?: Value;
}

/** One relationship position in the chain: table alias `r{id}` in SQL. */
export interface EdgeSpec {
  id: number;
  /** Upper-case verbs; undefined = any (RELATES TO). */
  verbs?: string[];
  direction: Direction;
}

export interface Hop {
  edge: EdgeSpec;
  node: NodeSpec;
  /** A negated hop: no path through it (and the hops after it) may exist. */
  negated: boolean;
  /** The reverse copy of a two-way hop: a self-loop already matched forward is left out. */
  loopFree?: boolean;
}

export type AliasTarget =
  { kind: 'entity'; node: NodeSpec } | { kind: 'relationship'; edge: EdgeSpec };

/**
 * One linear reading of the query. Optional traversals make several (with and without each
 * group); their result rows are combined with UNION ALL.
 */
export interface Variant {
  hops: Hop[];
  /** Negated hops and everything after them, attached to the node they leave from. */
  negations: { from: NodeSpec; hops: Hop[] }[];
  aliases: Map<string, AliasTarget>;
}

export interface Plan {
  query: Query;
  root: NodeSpec;
  variants: Variant[];
  /** Every alias usable in WHERE/RETURN/ORDER BY, with what it names. */
  aliasKinds: Map<string, 'entity' | 'relationship'>;
  /** Aliases that name something inside a negated traversal: never bound to a row. */
  negatedAliases: Set<string>;
  /** Only optional steps: the list result is every entity on the paths (a union). */
  onlyOptional: boolean;
}

interface Draft {
  hops: Hop[];
  negations: { from: NodeSpec; hops: Hop[] }[];
  current: NodeSpec;
  aliases: Map<string, AliasTarget>;
}

/** Names usable as aliases without AS: a class/type or a verb written exactly once. */
function defaultAliasCounts(query: Query): {
  names: Map<string, number>;
  verbs: Map<string, number>;
} {
  const names = new Map<string, number>();
  const verbs = new Map<string, number>();
  const countSelector = (selector: Selector) => {
    if (selector.kind === 'names' && selector.names.length === 1) {
      const name = selector.names[0]!.value;
      names.set(name, (names.get(name) ?? 0) + 1);
    }
  };
  const countTraversal = (t: Traversal) => {
    countSelector(t.target);
    if (t.verbs?.length === 1) {
      const verb = t.verbs[0]!;
      verbs.set(verb, (verbs.get(verb) ?? 0) + 1);
    }
  };
  if (query.root.kind === 'entities') countSelector(query.root.selector);
  for (const step of query.steps)
    (step.kind === 'optional' ? step.steps : [step]).forEach(countTraversal);
  return { names, verbs };
}

class PlanBuilder {
  private nextId = 1;
  private readonly explicit = new Set<string>();
  readonly aliasKinds = new Map<string, 'entity' | 'relationship'>();
  readonly negatedAliases = new Set<string>();
  private readonly defaults: ReturnType<typeof defaultAliasCounts>;

  constructor(private readonly query: Query) {
    this.defaults = defaultAliasCounts(query);
  }

  declareExplicit(name: string, kind: 'entity' | 'relationship', negated: boolean): void {
    if (name.includes('.')) throw new QueryValidationError(`an alias cannot contain '.': ${name}`);
    if (this.explicit.has(name)) throw new QueryValidationError(`alias ${name} is used twice`);
    this.explicit.add(name);
    this.aliasKinds.set(name, kind);
    if (negated) this.negatedAliases.add(name);
  }

  /** Default aliases, registered only where no explicit alias of that name exists. */
  defaultNames(
    selector: Selector,
    verbs: string[] | undefined,
  ): { entity?: string; verb?: string } {
    const result: { entity?: string; verb?: string } = {};
    if (selector.kind === 'names' && selector.names.length === 1) {
      const name = selector.names[0]!.value;
      if (this.defaults.names.get(name) === 1 && !this.explicit.has(name)) result.entity = name;
    }
    if (verbs?.length === 1 && this.defaults.verbs.get(verbs[0]!) === 1) result.verb = verbs[0];
    return result;
  }

  /** `insideNegation`: the hop's aliases can never be bound to a result row. */
  hop(t: Traversal, insideNegation: boolean): { hop: Hop; aliases: [string, AliasTarget][] } {
    const node: NodeSpec = { id: this.nextId, ...nodeMatch(t.target, t.filter) };
    const edge: EdgeSpec = { id: this.nextId, verbs: t.verbs, direction: t.direction };
    this.nextId++;
    const aliases: [string, AliasTarget][] = [];
    if (t.alias) {
      this.declareExplicit(t.alias, 'entity', insideNegation);
      aliases.push([t.alias, { kind: 'entity', node }]);
    }
    if (t.relationshipAlias) {
      this.declareExplicit(t.relationshipAlias, 'relationship', insideNegation);
      aliases.push([t.relationshipAlias, { kind: 'relationship', edge }]);
    }
    return { hop: { edge, node, negated: t.negated }, aliases };
  }
}

const CRITICAL_ASSET_CLASSES = ['Application', 'CodeRepo', 'DataStore', 'Function', 'Host', 'Logs'];

function compare(name: string, op: '=', right: Value | ValueSet): Filter {
  return {
    kind: 'compare',
    left: { kind: 'property', segments: [name], position: { line: 0, column: 0 } },
    op,
    right,
  };
}

/**
 * Smart classes as JupiterOne defines them by default (j1ql.md §4.8): `#CriticalAsset` is a
 * production, critical Application/CodeRepo/DataStore/Function/Host/Logs or anything tagged
 * CriticalAsset; `#Tag Class` is the class tagged Tag (an unnamed tag, or `tag.Tag = true`).
 */
function smartClassFilter(tag: string): Filter {
  if (tag === 'CriticalAsset')
    return {
      kind: 'or',
      operands: [
        {
          kind: 'and',
          operands: [
            compare('_class', '=', {
              kind: 'set',
              connective: 'or',
              values: CRITICAL_ASSET_CLASSES.map((value) => ({ kind: 'string', value })),
            }),
            compare('tag.Production', '=', { kind: 'boolean', value: true }),
            compare('classification', '=', { kind: 'string', value: 'critical' }),
          ],
        },
        compare('tags', '=', { kind: 'string', value: 'CriticalAsset' }),
      ],
    };
  return {
    kind: 'or',
    operands: [
      compare('tags', '=', { kind: 'string', value: tag }),
      compare(`tag.${tag}`, '=', { kind: 'boolean', value: true }),
    ],
  };
}

/** A selector and its WITH as the SQL sees them: smart classes become a name plus a filter. */
function nodeMatch(
  selector: Selector,
  filter: Filter | undefined,
): { selector: PlainSelector; filter?: Filter } {
  if (selector.kind !== 'smartClass') return { selector, filter };
  const smart = smartClassFilter(selector.tag);
  return {
    selector: selector.name ? { kind: 'names', names: [selector.name] } : { kind: 'any' },
    filter: filter ? { kind: 'and', operands: [smart, filter] } : smart,
  };
}

/** `FIND "{{name}}"` searches for the placeholder's value (saved questions ask for it). */
function searchTerm(text: string): Value {
  const placeholder = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(text);
  return placeholder
    ? { kind: 'placeholder', name: placeholder[1]! }
    : { kind: 'string', value: text };
}

export function planQuery(query: Query): Plan {
  const builder = new PlanBuilder(query);
  const root: NodeSpec =
    query.root.kind === 'fullText'
      ? {
          id: 0,
          selector: { kind: 'any' },
          filter: query.root.filter,
          search: searchTerm(query.root.text),
        }
      : { id: 0, ...nodeMatch(query.root.selector, query.root.filter) };
  const rootAliases = new Map<string, AliasTarget>();
  if (query.root.alias) {
    builder.declareExplicit(query.root.alias, 'entity', false);
    rootAliases.set(query.root.alias, { kind: 'entity', node: root });
  }
  let drafts: Draft[] = [{ hops: [], negations: [], current: root, aliases: rootAliases }];
  const defaultAliases: {
    name: string;
    kind: 'entity' | 'relationship';
    target: (d: Draft) => AliasTarget | undefined;
  }[] = [];

  const rootDefault =
    query.root.kind === 'entities'
      ? builder.defaultNames(query.root.selector, undefined).entity
      : undefined;
  if (rootDefault)
    defaultAliases.push({
      name: rootDefault,
      kind: 'entity',
      target: () => ({ kind: 'entity', node: root }),
    });

  const steps = query.steps;
  for (let i = 0; i < steps.length; i++) {
    const step: Step = steps[i]!;
    if (step.kind === 'traversal' && step.negated) {
      // NOT EXISTS over this hop and every hop after it (§9.5 of the reference).
      const rest = steps.slice(i);
      const hops: Hop[] = rest.map((s) => {
        if (s.kind === 'optional')
          throw new NotSupportedError(
            'an optional traversal after a negated traversal',
            s.position.line,
            s.position.column,
          );
        return builder.hop(s, true).hop;
      });
      drafts = drafts.map((d) => ({
        ...d,
        negations: [...d.negations, { from: d.current, hops }],
      }));
      break;
    }
    if (step.kind === 'traversal') {
      const { hop, aliases } = builder.hop(step, false);
      const names = builder.defaultNames(step.target, step.verbs);
      if (names.entity)
        defaultAliases.push({
          name: names.entity,
          kind: 'entity',
          target: (d) => (d.hops.includes(hop) ? { kind: 'entity', node: hop.node } : undefined),
        });
      if (names.verb)
        defaultAliases.push({
          name: names.verb,
          kind: 'relationship',
          target: (d) =>
            d.hops.includes(hop) ? { kind: 'relationship', edge: hop.edge } : undefined,
        });
      drafts = drafts.map((d) => ({
        hops: [...d.hops, hop],
        negations: d.negations,
        current: hop.node,
        aliases: new Map([...d.aliases, ...aliases]),
      }));
      continue;
    }
    // Optional group: every draft continues both without and with the group's hops.
    const groupHops: { hop: Hop; aliases: [string, AliasTarget][] }[] = step.steps.map((t) => {
      if (t.negated)
        throw new NotSupportedError(
          'a negated traversal inside an optional group',
          t.position.line,
          t.position.column,
        );
      const built = builder.hop(t, false);
      const names = builder.defaultNames(t.target, t.verbs);
      if (names.entity)
        defaultAliases.push({
          name: names.entity,
          kind: 'entity',
          target: (d) =>
            d.hops.includes(built.hop) ? { kind: 'entity', node: built.hop.node } : undefined,
        });
      if (names.verb)
        defaultAliases.push({
          name: names.verb,
          kind: 'relationship',
          target: (d) =>
            d.hops.includes(built.hop) ? { kind: 'relationship', edge: built.hop.edge } : undefined,
        });
      return built;
    });
    if (step.alias) builder.declareExplicit(step.alias, 'entity', false);
    const last = groupHops[groupHops.length - 1]!.hop.node;
    drafts = drafts.flatMap((d) => {
      const without = new Map(d.aliases);
      if (step.alias) without.set(step.alias, { kind: 'entity', node: d.current });
      const withGroup = new Map([...d.aliases, ...groupHops.flatMap((g) => g.aliases)]);
      if (step.alias) withGroup.set(step.alias, { kind: 'entity', node: last });
      return [
        { ...d, aliases: without },
        {
          hops: [...d.hops, ...groupHops.map((g) => g.hop)],
          negations: d.negations,
          current: last,
          aliases: withGroup,
        },
      ];
    });
  }

  const aliasKinds = builder.aliasKinds;
  for (const alias of defaultAliases)
    if (!aliasKinds.has(alias.name)) aliasKinds.set(alias.name, alias.kind);
  const variants: Variant[] = drafts.map((d) => {
    const aliases = new Map(d.aliases);
    for (const alias of defaultAliases) {
      const target = alias.target(d);
      if (target && !aliases.has(alias.name)) aliases.set(alias.name, target);
    }
    return { hops: d.hops, negations: d.negations, aliases };
  });
  const onlyOptional = steps.length > 0 && steps.every((s) => s.kind === 'optional');
  return {
    query,
    root,
    variants,
    aliasKinds,
    negatedAliases: builder.negatedAliases,
    onlyOptional,
  };
}

/**
 * Finds the alias a WHERE/RETURN/ORDER BY reference means: explicit and class/type aliases are
 * case-sensitive, verb aliases are not (`where allows.effective = false`).
 */
export function lookupAlias(plan: Plan, name: string): string | undefined {
  if (plan.aliasKinds.has(name)) return name;
  const upper = name.toUpperCase();
  for (const [alias, kind] of plan.aliasKinds)
    if (kind === 'relationship' && alias === upper) return alias;
  return undefined;
}

export function requireAlias(plan: Plan, name: string, line?: number, column?: number): string {
  const alias = lookupAlias(plan, name);
  if (alias === undefined)
    throw new QueryValidationError(
      `unknown alias: ${name} (name it with AS, or use a class, type or verb written once)`,
      line,
      column,
    );
  if (plan.negatedAliases.has(alias))
    throw new NotSupportedError(`using alias ${alias} of a negated traversal`, line, column);
  return alias;
}
