// How values read on screen: dates, property values, an entity's name. Pure, so pages agree.
import type { GraphObject } from '../api/types';

export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** A property's value as one line of text; `…On` numbers are J1 timestamps, shown as dates. */
export function formatProperty(name: string, value: unknown): string {
  return typeof value === 'number' && /On$/.test(name) && value > 1e11
    ? formatTime(value)
    : formatValue(value);
}

/** Property values as one line of text (React renders it as text, never as markup). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * An entity or relationship as one flat record for a table: name, type and class first (what a
 * reader scans for), then its properties, then the rest of the metadata.
 */
export function fieldsOf(object: GraphObject): Record<string, unknown> {
  const metadata = object.entity ?? object.relationship ?? {};
  const { _type, _class, ...rest } = metadata;
  return { displayName: displayName(object), _type, _class, ...object.properties, ...rest };
}

export function classesOf(object: GraphObject): string[] {
  const c = (object.entity ?? object.relationship ?? {})._class;
  if (Array.isArray(c)) return c.map(String);
  return c === undefined || c === null ? [] : [String(c)];
}

export function typeOf(object: GraphObject): string {
  return String((object.entity ?? object.relationship ?? {})._type ?? '');
}

export function keyOf(object: GraphObject): string {
  return String((object.entity ?? object.relationship ?? {})._key ?? object.id);
}

export function displayName(object: GraphObject): string {
  const p = object.properties;
  const name = p.displayName ?? p.name ?? p.computerDnsName ?? p.username ?? p.email;
  return typeof name === 'string' && name !== '' ? name : keyOf(object);
}
