import type { Entity } from '../../graph/types.js';
import { MicrosoftApiError } from '../../microsoft/errors.js';
import type { DefenderLogonUser } from '../../microsoft/types.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import type { IntegrationStep, StepContext } from '../step.js';
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
    const { jobState, logger } = context;
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
  },
};

/** The bulk path is taken when the Defender token carries its permission. */
export async function huntingGranted({
  defender,
}: Pick<StepContext, 'defender'>): Promise<boolean> {
  return (await defender.grantedRoles()).includes(step.bulkPath!.permission);
}

async function collectPerMachine(
  { defender, progress, logger }: StepContext,
  machines: Entity[],
  sink: LogonUserSink,
): Promise<void> {
  let done = 0;
  await forEachConcurrently(machines, CONCURRENCY, async (machine) => {
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
    progress(++done, machines.length);
  });
}
