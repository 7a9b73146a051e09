/**
 * Rule templates: `{{ expr }}` in JEXL with JupiterOne's transforms (mapTemplate, mapProperty,
 * merge, join, uniquePropertyValues, length). A property read on an array is JEXL's own: it reads
 * the first element (`queries.query0.data.entity.displayName`); `mapProperty` projects.
 */
import jexl from 'jexl';

const { Jexl } = jexl;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Context = Record<string, unknown>;

const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/;
const PART = /\{\{([\s\S]*?)\}\}/g;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An entity result item's properties and entity fields as one object (what templates see as `item`). */
export function flattenItem(item: unknown): unknown {
  if (isRecord(item) && isRecord(item.entity) && isRecord(item.properties))
    return { ...item.entity, ...item.properties, id: item.id };
  return item;
}

/** Reads `a.b.c` (a dotted name may also be one key, as `tag.AccountName` is). */
export function readPath(value: unknown, path: string): unknown {
  if (isRecord(value) && path in value) return value[path];
  const dot = path.indexOf('.');
  if (dot < 0) return isRecord(value) ? value[path] : undefined;
  const head = path.slice(0, dot);
  return isRecord(value) ? readPath(value[head], path.slice(dot + 1)) : undefined;
}

/** An entity item's property: `properties` first, then `entity` (JupiterOne's mapProperty). */
function itemProperty(item: unknown, name: string): unknown {
  if (isRecord(item) && isRecord(item.properties) && isRecord(item.entity)) {
    const fromProperties = readPath(item.properties, name);
    return fromProperties !== undefined ? fromProperties : readPath(item.entity, name);
  }
  return readPath(item, name);
}

const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? [...value] : value === undefined || value === null ? [] : [value];

/** Renders a rule's templates; one per rule evaluation (its `templates` are in scope). */
export class TemplateRenderer {
  private readonly jexl = new Jexl();

  constructor(private readonly templates: Record<string, string> = {}) {
    this.jexl.addTransform('join', (value: unknown, separator: unknown = ',') =>
      asArray(value)
        .map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '')))
        .join(String(separator)),
    );
    this.jexl.addTransform('merge', (value: unknown, other: unknown) => [
      ...asArray(value),
      ...asArray(other),
    ]);
    this.jexl.addTransform('length', (value: unknown) =>
      Array.isArray(value) || typeof value === 'string'
        ? value.length
        : isRecord(value)
          ? Object.keys(value).length
          : 0,
    );
    this.jexl.addTransform('mapProperty', (value: unknown, ...names: unknown[]) =>
      asArray(value).map((item) =>
        names.length === 1
          ? itemProperty(item, String(names[0]))
          : Object.fromEntries(names.map((n) => [String(n), itemProperty(item, String(n))])),
      ),
    );
    this.jexl.addTransform('uniquePropertyValues', (value: unknown, name: unknown) => [
      ...new Set(asArray(value).map((item) => itemProperty(item, String(name)))),
    ]);
    this.jexl.addTransform('mapTemplate', (value: unknown, name: unknown) => {
      const template = this.templates[String(name)];
      if (template === undefined)
        throw new TemplateError(`mapTemplate: no template named "${String(name)}"`);
      const items = asArray(value);
      return items.map((item, itemIndex) =>
        this.render(template, {
          ...this.scope,
          item: flattenItem(item),
          itemIndex,
          itemCount: items.length,
        }),
      );
    });
  }

  /** The context of the render in progress, which mapTemplate's nested renders extend. */
  private scope: Context = {};

  /** Evaluates one JEXL expression. */
  evaluate(expression: string, context: Context): unknown {
    const outer = this.scope;
    this.scope = context;
    try {
      return this.jexl.evalSync(expression, context);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw new TemplateError(`{{${expression.trim()}}}: ${(err as Error).message}`);
    } finally {
      this.scope = outer;
    }
  }

  /**
   * A string with `{{…}}`: alone, its value keeps its type (an array stays an array); mixed with
   * text, each value is written into the text. Strings without `{{` are returned unchanged.
   */
  render(text: string, context: Context): unknown {
    const whole = WHOLE.exec(text);
    if (whole && !whole[1]!.includes('}}')) return plain(this.evaluate(whole[1]!, context));
    return text.replace(PART, (_match, expression: string) => {
      const value = plain(this.evaluate(expression, context));
      if (value === undefined || value === null) return '';
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
  }

  /** Renders every string inside a value (an action's fields), keeping its shape. */
  renderDeep(value: unknown, context: Context): unknown {
    if (typeof value === 'string') return this.render(value, context);
    if (Array.isArray(value)) return value.map((v) => this.renderDeep(v, context));
    if (isRecord(value))
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.renderDeep(v, context)]),
      );
    return value;
  }
}

/** A copy of the value, so no action shares (and mutates) the evaluation context's objects. */
function plain(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== 'object') return value;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
