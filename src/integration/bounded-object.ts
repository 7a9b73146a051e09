/**
 * Bounds what one graph object keeps, so a hostile answer (a property nested 5,000 levels deep, a
 * string of gigabytes) is kept as far as it can be stored instead of failing its step: everything
 * within the limits is kept exactly, the rest is cut, and the object lists what was cut.
 */
import type { Entity, GraphRelationship } from '../graph/types.js';

export interface ObjectLimits {
  /** Levels of objects/arrays below an object's own property (raw data counts from its root). */
  maxDepth: number;
  /** Characters of one string. */
  maxStringLength: number;
  /** Values (scalars, objects, arrays) kept from one graph object, raw data included. */
  maxValues: number;
}

export const OBJECT_LIMITS: ObjectLimits = {
  maxDepth: 32,
  maxStringLength: 1_048_576,
  maxValues: 200_000,
};

/** The property that names what was cut; its own length is bounded too. */
export const TRUNCATED_PROPERTY = 'truncatedPaths';
const MAX_LISTED_PATHS = 20;

/** Stands in for a value nested deeper than the limit. */
export const DEEPER_THAN_LIMIT = '[truncated: nested deeper than the limit]';

interface Pending {
  value: unknown;
  depth: number;
  key: string;
  parent: Pending | undefined;
  /** Where the (possibly cut) copy goes; absent while only checking. */
  target: Record<string, unknown> | undefined;
}

/** Built only for what was cut, so the common path allocates no path strings. */
function pathOf(item: Pending): string {
  const keys: string[] = [];
  for (let at: Pending | undefined = item; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** Never ends a cut string on the first half of a surrogate pair. */
function cutString(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

function pushChildren(
  stack: Pending[],
  value: object,
  depth: number,
  parent: Pending | undefined,
  target: Record<string, unknown> | undefined,
): void {
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i >= 0; i--) {
    const [key, child] = entries[i]!;
    stack.push({ value: child, key, depth, parent, target });
  }
}

/**
 * Walks `object` with an explicit stack, so no depth of input can overflow the call stack; copies
 * into `root` (when given) what fits the limits. Returns the paths that did not fit.
 */
function walk(object: object, limits: ObjectLimits, root?: Record<string, unknown>): string[] {
  const cut: string[] = [];
  let values = 0;
  const stack: Pending[] = [];
  pushChildren(stack, object, 0, undefined, root);
  while (stack.length > 0) {
    const item = stack.pop()!;
    const { value, target } = item;
    const keep = (kept: unknown) => {
      if (target) target[item.key] = kept;
    };
    if (++values > limits.maxValues) {
      cut.push(`${pathOf(item)} (and everything after it: more than ${limits.maxValues} values)`);
      break;
    }
    if (typeof value === 'string' && value.length > limits.maxStringLength) {
      cut.push(`${pathOf(item)} (longer than ${limits.maxStringLength} characters)`);
      keep(cutString(value, limits.maxStringLength));
    } else if (!isContainer(value)) keep(value);
    else if (item.depth >= limits.maxDepth) {
      cut.push(`${pathOf(item)} (nested deeper than ${limits.maxDepth} levels)`);
      keep(DEEPER_THAN_LIMIT);
    } else {
      const copy = target && (Array.isArray(value) ? [] : {});
      keep(copy);
      pushChildren(stack, value, item.depth + 1, item, copy as Record<string, unknown> | undefined);
    }
  }
  return cut;
}

/** The common path: a check that allocates nothing per value but the stack. */
function fits(object: object, limits: ObjectLimits): boolean {
  const values: unknown[] = [object];
  const depths: number[] = [-1];
  let seen = 0;
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (++seen > limits.maxValues + 1) return false;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) return false;
    } else if (isContainer(value)) {
      if (depth >= limits.maxDepth) return false;
      for (const key in value) {
        values.push((value as Record<string, unknown>)[key]);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

/** `object` itself when it fits `limits`; else a copy cut to them, naming what was cut. */
export function boundObject<T extends object>(
  object: T,
  limits: ObjectLimits = OBJECT_LIMITS,
): { object: T; truncated: string[] } {
  if (fits(object, limits)) return { object, truncated: [] };
  const root: Record<string, unknown> = {};
  const truncated = walk(object, limits, root);
  const listed = truncated.slice(0, MAX_LISTED_PATHS);
  if (truncated.length > MAX_LISTED_PATHS)
    listed.push(`… and ${truncated.length - MAX_LISTED_PATHS} more`);
  return { object: { ...root, [TRUNCATED_PROPERTY]: listed } as T, truncated };
}

/** A batch of entities or relationships, each bounded. */
export function boundObjects<T extends Entity | GraphRelationship>(objects: T[]): T[] {
  return objects.map((o) => boundObject(o).object);
}
