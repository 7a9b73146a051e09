import type { ChurnSizes } from './tenant/churn.js';
import type { Collection } from './tenant/collection.js';
import type { RosterEntry } from './tenant/roster.js';

/**
 * The part of the simulated tenant (src/emulator/tenant, E1) the HTTP handlers read. Items are the
 * full JSON shapes the real APIs return before `$select`.
 */
export interface TenantView {
  tenantId: string;
  organization(): object;
  users: Collection<object>;
  groups: Collection<object>;
  devices: Collection<object>;
  machines: Collection<object>;
  vulnerabilities: Collection<object>;
  groupMembers(groupId: string): readonly object[] | undefined;
  groupTransitiveMembers(groupId: string): readonly object[] | undefined;
  machineLogonUsers(machineId: string): readonly object[] | undefined;
  machineVulnerabilities(machineId: string): readonly object[] | undefined;
  machineVulnerabilityRows(): Collection<object>;
  /** Counts always; the id lists unless `lists` is false (they are large for big tenants). */
  truth(options?: { lists?: boolean }): { counts: object };
  /** The HR roster consistent with the tenant now (its expectations are in the truth's `people`). */
  roster(): RosterEntry[];
  /** Rounds of churn applied so far: delta tokens remember the round they were issued in. */
  readonly round: number;
  /** What a directory delta returns for changes after round `since` (undefined: everything). */
  directoryDelta(kind: 'users' | 'groups', since: number | undefined): readonly object[];
  /** One deterministic round of churn of the given sizes; answers exactly what changed. */
  advance(sizes?: ChurnSizes): object;
}

/** JSON objects from the tenant, read by property name. */
export function fields(item: object): Record<string, unknown> {
  return item as Record<string, unknown>;
}

/** Positional access over either a tenant collection or a plain array. */
export interface Sequence {
  count(): number;
  at(position: number): object | undefined;
}

export function sequenceOf(items: Collection<object> | readonly object[]): Sequence {
  if (!Array.isArray(items)) return items as Collection<object>;
  const list = items as readonly object[];
  return { count: () => list.length, at: (i) => list[i] };
}
