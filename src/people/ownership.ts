/**
 * Which machine each person uses most, from the machine × logon-user pairs: the rule and the
 * evidence it used go on the Person OWNS Device link. Pure: the mapper feeds it pairs one by one.
 */

export const OWNERSHIP_RULE = 'latest-interactive-logon';

export interface LogonEvidence {
  machineKey: string;
  logonUserKey: string;
  lastSeenOn?: number;
  firstSeenOn?: number;
  isOnlyNetworkUser?: boolean;
}

export interface Ownership {
  machineKey: string;
  rule: string;
  account: string;
  lastLogonOn: number;
  firstLogonOn?: number;
  /** Machines the person logged on to interactively: the candidates the rule chose from. */
  candidateMachines: number;
}

/** Later last logon wins; on a tie, the longer use (earlier first logon), then the machine key. */
function better(a: LogonEvidence, b: Ownership): boolean {
  const aLast = a.lastSeenOn ?? 0;
  if (aLast !== b.lastLogonOn) return aLast > b.lastLogonOn;
  const aFirst = a.firstSeenOn ?? Infinity;
  const bFirst = b.firstLogonOn ?? Infinity;
  if (aFirst !== bFirst) return aFirst < bFirst;
  return a.machineKey < b.machineKey;
}

export class OwnershipTracker {
  private readonly best = new Map<string, Ownership>();
  private readonly machines = new Map<string, Set<string>>();

  /** A logon by one of the person's accounts; network-only logons (file shares, services) are not use. */
  consider(personKey: string, logon: LogonEvidence): void {
    if (logon.isOnlyNetworkUser === true || logon.lastSeenOn === undefined) return;
    const seen = this.machines.get(personKey) ?? new Set<string>();
    seen.add(logon.machineKey);
    this.machines.set(personKey, seen);
    const current = this.best.get(personKey);
    if (current && !better(logon, current)) return;
    this.best.set(personKey, {
      machineKey: logon.machineKey,
      rule: OWNERSHIP_RULE,
      account: logon.logonUserKey,
      lastLogonOn: logon.lastSeenOn,
      firstLogonOn: logon.firstSeenOn,
      candidateMachines: 0,
    });
  }

  results(): Map<string, Ownership> {
    for (const [person, owned] of this.best)
      owned.candidateMachines = this.machines.get(person)?.size ?? 1;
    return this.best;
  }
}
