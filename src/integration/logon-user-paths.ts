import type { InstanceConfig } from '../config/instance-config.js';
import { ADVANCED_HUNTING_ROW_LIMIT, effectiveQuotas } from '../microsoft/endpoints.js';
import { MicrosoftApiError } from '../microsoft/errors.js';
import type { MicrosoftClients } from '../microsoft/index.js';
import { minimumDurationMs } from '../microsoft/pacing.js';
import { declaration } from './steps/declaration.js';
import { logonSummaryQuery } from './steps/logon-hunting-query.js';
import { huntingGranted } from './steps/logon-users.js';
import { STEP_IDS } from './declarations.js';

export type LogonUserPath = 'advanced-hunting' | 'per-machine';

export interface LogonUserPathCost {
  path: LogonUserPath;
  calls: number;
  /** Least time those calls take at the instance's quotas (its `quotaScale` and `quotas`). */
  minutes: number;
}

/** Which way a sync of this instance collects logon users, and what each way costs. */
export interface LogonUserPathReport {
  path: LogonUserPath;
  reason: string;
  machines: number;
  /** Logon users of the first machine: the rows-per-machine the bulk estimate assumes. */
  sampledLogonUsers: number;
  costs: LogonUserPathCost[];
}

const step = declaration(STEP_IDS.LOGON_USERS);
const BULK_PERMISSION = step.bulkPath!.permission;

/**
 * Reads the Defender token's roles (the step's own test), counts the machines (⌈machines / 10,000⌉
 * listing calls) and samples the first machine's logon users the way the sync would, to price both
 * paths: per machine one call each, in bulk ⌈machines × sample / row cap⌉ queries.
 */
export async function planLogonUserPaths(
  instance: InstanceConfig,
  clients: MicrosoftClients,
): Promise<LogonUserPathReport> {
  const ids: string[] = [];
  for await (const page of clients.defender.machines()) ids.push(...page.map((m) => m.id));
  ids.sort();
  const rowLimit = instance.advancedHuntingRowLimit ?? ADVANCED_HUNTING_ROW_LIMIT;
  let path: LogonUserPath = 'per-machine';
  let reason = `${BULK_PERMISSION} is not in the Defender token's roles`;
  let sampled = 0;
  if (await huntingGranted(clients)) {
    path = 'advanced-hunting';
    reason = `${BULK_PERMISSION} is in the Defender token's roles`;
    if (ids.length > 0) {
      try {
        const answer = await clients.defender.advancedQuery(
          logonSummaryQuery({ after: '', upTo: ids[0]! }, rowLimit),
        );
        sampled = answer.Results.length;
      } catch (err) {
        if (!(err instanceof MicrosoftApiError && err.code === 'FORBIDDEN')) throw err;
        path = 'per-machine';
        reason = `${BULK_PERMISSION} is in the token but Advanced Hunting refused it (${err.message})`;
      }
    }
  }
  if (path === 'per-machine' && ids.length > 0)
    sampled = (await clients.defender.machineLogonUsers(ids[0]!)).length;
  const quotas = effectiveQuotas(instance.quotaScale, instance.quotas);
  const bulkCalls =
    ids.length === 0 ? 0 : Math.max(1, Math.ceil((ids.length * sampled) / rowLimit));
  const minutes = (calls: number, bucket: string) =>
    Math.round(minimumDurationMs(calls, quotas[bucket] ?? []) / 600) / 100;
  return {
    path,
    reason,
    machines: ids.length,
    sampledLogonUsers: sampled,
    costs: [
      {
        path: 'advanced-hunting',
        calls: bulkCalls,
        minutes: minutes(bulkCalls, 'defender:advancedQueries'),
      },
      {
        path: 'per-machine',
        calls: ids.length,
        minutes: minutes(ids.length, 'defender:logonusers'),
      },
    ],
  };
}
