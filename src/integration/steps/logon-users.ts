import stableStringify from 'fast-json-stable-stringify';
import type { Entity, GraphRelationship, PreviousGraph } from '../../graph/types.js';
import { MicrosoftApiError } from '../../microsoft/errors.js';
import type { DefenderLogonUser } from '../../microsoft/types.js';
import { ENTITIES, RELATIONSHIPS, STEP_IDS } from '../declarations.js';
import type { IntegrationStep, StepContext } from '../step.js';
import { carryRelationships } from './carry-over.js';
import { forEachConcurrently } from './concurrency.js';
import { declaration } from './declaration.js';
import { collectLogonUsersByHunting } from './logon-users-hunting.js';
import { LogonUserSink } from './logon-user-sink.js';

/** Requests in flight at once; the pacer, not this, keeps the rate under the quota. */
const CONCURRENCY = 8;

const step = declaration(STEP_IDS.LOGON_USERS);

/**
 * Every machine × logon-user pair (the reference linked each logon user to one machine only).
 * With Advanced Hunting granted, a few bulk queries; else one paced call per machine, ≈ machines /
 * 1,500 hours at real quotas. Both give the same graph (docs/data-model.md).
 */
export const logonUsersStep: IntegrationStep = {
  ...step,
  async executionHandler(context) {
    const { jobState, logger, changes } = context;
    const machines: Entity[] = [];
    await jobState.iterateEntities({ _type: ENTITIES.MACHINE._type }, (m) => {
      machines.push(m);
    });
    const sink = new LogonUserSink(jobState);
    if (await huntingGranted(context)) {
      try {
        await collectLogonUsersByHunting(context, machines, sink);
      } catch (err) {
        // Consent withdrawn since the token was issued: nothing written yet, so the other path.
        if (!(err instanceof MicrosoftApiError && err.code === 'FORBIDDEN' && sink.empty))
          throw err;
        logger?.warn({ err: err.message }, 'Advanced Hunting refused: logon users per machine');
        await collectPerMachine(context, machines, sink);
      }
    } else {
      await collectPerMachine(context, machines, sink);
    }
    await sink.finish();
    changes?.save({});
  },
};

/** The bulk path is taken when the Defender token carries its permission. */
export async function huntingGranted({
  defender,
}: Pick<StepContext, 'defender'>): Promise<boolean> {
  return (await defender.grantedRoles()).includes(step.bulkPath!.permission);
}

/**
 * One call per machine. An incremental sync asks only for machines that are new or whose
 * properties (`lastSeen` included) changed since the previous graph; the others keep their pairs
 * from it. (Advanced Hunting needs no such saving: it is a few queries either way.)
 */
async function collectPerMachine(
  { defender, jobState, progress, logger, changes }: StepContext,
  machines: Entity[],
  sink: LogonUserSink,
): Promise<void> {
  const previous = changes?.since?.previous;
  const unchanged = previous ? await unchangedMachines(previous, machines) : new Set<string>();
  const refreshed = machines.filter((m) => !unchanged.has(m._key));
  let done = 0;
  await forEachConcurrently(refreshed, CONCURRENCY, async (machine) => {
    let logonUsers: DefenderLogonUser[];
    try {
      logonUsers = await defender.machineLogonUsers(String(machine.id));
    } catch (err) {
      // A machine offboarded since it was listed answers 404 (after one retry): no logons.
      if (!(err instanceof MicrosoftApiError && err.code === 'NOT_FOUND')) throw err;
      logger?.warn({ machineId: machine.id }, 'machine vanished while listing its logon users');
      logonUsers = [];
    }
    await sink.addMachine(machine, logonUsers);
    progress(++done, refreshed.length);
  });
  if (previous) await carryPairs(previous, unchanged, sink, jobState.addRelationships);
}

/** What a machine is, for "did it change": every property but raw data. */
function fingerprint({ _rawData: _raw, ...machine }: Entity): string {
  return stableStringify(machine);
}

/** Keys of the machines listed now exactly as the previous graph has them. */
async function unchangedMachines(
  previous: PreviousGraph,
  machines: Entity[],
): Promise<Set<string>> {
  const now = new Map(machines.map((m) => [m._key, fingerprint(m)]));
  const unchanged = new Set<string>();
  await previous.iterateEntities({ _type: ENTITIES.MACHINE._type }, (m) => {
    if (now.get(m._key) === fingerprint(m)) unchanged.add(m._key);
  });
  return unchanged;
}

/**
 * Carries the unchanged machines' pairs over and counts each as a record of its account, so the
 * logon-user entity merges the same records a full sync would: the pair keeps the machine's
 * `isDomainAdmin` and `accountSid`.
 */
async function carryPairs(
  previous: PreviousGraph,
  unchanged: Set<string>,
  sink: LogonUserSink,
  write: (relationships: GraphRelationship[]) => Promise<void>,
): Promise<void> {
  const known = new Map<string, Entity>();
  await previous.iterateEntities({ _type: ENTITIES.LOGON_USER._type }, (u) => {
    known.set(u._key, u);
  });
  await carryRelationships(
    previous,
    [RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type],
    (pair) => {
      const account = known.get(String(pair._toEntityKey));
      if (!unchanged.has(String(pair._fromEntityKey)) || !account) return false;
      sink.recordAccount(account._key, {
        id: String(account.id),
        accountName: String(account.accountName),
        accountDomain: String(account.accountDomain),
        accountSid: (pair.accountSid as string | undefined) ?? null,
        isDomainAdmin: (pair.isDomainAdmin as boolean | undefined) ?? null,
      });
      return true;
    },
    write,
  );
}
