/**
 * Hostile but possible values in the simulated directory: strings a real tenant can hold that
 * break naive stores and spreadsheets (NUL, unpaired surrogates, Unicode noncharacters, formula
 * starts, a huge value) and, optionally, one object nested far deeper than any store keeps.
 * Off unless the emulator is started with `hostileValues`; deterministic like the rest.
 */
import type { OverlayCollection } from './collection.js';
import type { GraphUser } from './types.js';

/** User fields the collector selects that hold free text in Entra ID. */
export const HOSTILE_USER_FIELDS = ['jobTitle', 'department', 'displayName', 'givenName'] as const;
export type HostileUserField = (typeof HOSTILE_USER_FIELDS)[number];

export interface HostileValues {
  /** Users with index 0, every, 2·every, … get hostile strings (in turn from HOSTILE_STRINGS). */
  every: number;
  /** The fields those users get them in. */
  fields: HostileUserField[];
  /** When > 0 (at most MAX_HOSTILE_DEPTH), user index 1 gets an object nested this deep in the first field. */
  depth: number;
}

/** The deepest object the emulator's JSON writer (JSON.stringify, recursive) can send. */
export const MAX_HOSTILE_DEPTH = 4_000;

export const DEFAULT_HOSTILE_VALUES: HostileValues = { every: 5, fields: ['jobTitle'], depth: 0 };

export const HOSTILE_STRINGS: readonly string[] = [
  'Head of\u0000Security',
  'Engineer \ud83d (unpaired high surrogate)',
  'Analyst \ude00 (unpaired low surrogate)',
  '\ufdd0\ufdd1 noncharacters \ufdef',
  '=HYPERLINK("https://attacker.example","click")',
  '+1-555-0100',
  '-2+3',
  '@SUM(A1:A9)',
  '\tTabbed title',
  '\rCarriage return',
  'Quote " comma , newline \n end',
  `Huge ${'ü'.repeat(100_000)}`,
];

function nested(depth: number): unknown {
  let inner: unknown = 'bottom';
  for (let level = 0; level < depth; level++) inner = { level: inner };
  return inner;
}

/** Patches the chosen users of a freshly generated directory. */
export function applyHostileValues(
  users: OverlayCollection<GraphUser>,
  hostile: HostileValues,
): void {
  let turn = 0;
  for (let index = 0; index < users.allocated(); index += hostile.every) {
    const patch: Partial<Record<HostileUserField, string>> = {};
    for (const field of hostile.fields)
      patch[field] = HOSTILE_STRINGS[turn++ % HOSTILE_STRINGS.length]!;
    users.patch(index, patch);
  }
  if (hostile.depth > 0 && users.allocated() > 1 && hostile.fields[0])
    // Graph would never send an object for a string field; a broken proxy or a bug could.
    users.patch(1, { [hostile.fields[0]]: nested(hostile.depth) } as Partial<GraphUser>);
}
