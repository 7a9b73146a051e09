import type { MemberRef } from './groups.js';

/**
 * The round in which each directory object last changed, so `/users/delta` and `/groups/delta`
 * can answer "what changed since round R" (graph-api.md §5.6) without keeping old copies: a delta
 * returns an object's current state, or `@removed` when it is gone.
 */
export class DirectoryChangeLog {
  private readonly users = new Map<number, number>();
  /** Group index → member (`type:index`) → the member and the round its membership last changed. */
  private readonly members = new Map<number, Map<string, { ref: MemberRef; round: number }>>();

  userChanged(index: number, round: number): void {
    this.users.set(index, round);
  }

  memberChanged(group: number, ref: MemberRef, round: number): void {
    const changes = this.members.get(group) ?? new Map<string, { ref: MemberRef; round: number }>();
    changes.set(`${ref.type}:${ref.index}`, { ref, round });
    this.members.set(group, changes);
  }

  /** User indexes changed after `round`, ascending. */
  usersSince(round: number): number[] {
    return [...this.users]
      .filter(([, r]) => r > round)
      .map(([u]) => u)
      .sort((a, b) => a - b);
  }

  /** Groups whose membership changed after `round`, ascending, with the members that changed. */
  membersSince(round: number): { group: number; refs: MemberRef[] }[] {
    const found: { group: number; refs: MemberRef[] }[] = [];
    for (const [group, changes] of this.members) {
      const refs = [...changes.values()].filter((c) => c.round > round).map((c) => c.ref);
      if (refs.length > 0) found.push({ group, refs });
    }
    return found.sort((a, b) => a.group - b.group);
  }
}
