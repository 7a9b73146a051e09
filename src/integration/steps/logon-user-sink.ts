import type { Entity } from '../../graph/types.js';
import type { DefenderLogonUser } from '../../microsoft/types.js';
import {
  createLogonUserEntity,
  createMachineLogonUserRelationship,
  logonUserKey,
  mergeLogonUserRecords,
} from '../converters/logon-user.js';
import type { JobState } from '../step.js';

/**
 * Where both logon-user paths put what they find: each machine's pairs are written at once, the
 * accounts once every machine is in, so each account is the same whatever order machines come in.
 */
export class LogonUserSink {
  private readonly accounts = new Map<string, DefenderLogonUser>();
  private machines = 0;

  constructor(private readonly jobState: JobState) {}

  /** Nothing written yet: the step may still change paths. */
  get empty(): boolean {
    return this.machines === 0;
  }

  async addMachine(machine: Entity, logonUsers: DefenderLogonUser[]): Promise<void> {
    this.machines++;
    const pairs = new Map(logonUsers.map((u) => [logonUserKey(u.accountDomain, u.accountName), u]));
    for (const [key, record] of pairs) this.recordAccount(key, record);
    await this.jobState.addRelationships(
      [...pairs.values()].map((u) => createMachineLogonUserRelationship(machine, u)),
    );
  }

  /** One record of an account (a pair a machine reported, or one carried over from the last sync). */
  recordAccount(key: string, record: DefenderLogonUser): void {
    const known = this.accounts.get(key);
    this.accounts.set(key, known ? mergeLogonUserRecords(known, record) : record);
  }

  async finish(): Promise<void> {
    await this.jobState.addEntities([...this.accounts.values()].map(createLogonUserEntity));
  }
}
