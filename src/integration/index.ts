import type { InstanceConfig } from '../config/instance-config.js';
import type { GraphObjectStore, IntegrationRunResult } from '../graph/types.js';
import { createMicrosoftClients, type MicrosoftClients } from '../microsoft/index.js';
import type { Logger } from '../util/logger.js';
import { executeSteps, type ProgressEvent, type SyncBase } from './runner.js';
import type { IntegrationStep } from './step.js';
import { accountStep } from './steps/account.js';
import { groupsStep } from './steps/groups.js';
import { logonUserIsUserStep } from './steps/logon-user-is-user.js';
import { logonUsersStep } from './steps/logon-users.js';
import { machinesStep } from './steps/machines.js';
import { usersStep } from './steps/users.js';
import { vulnerabilitiesStep } from './steps/vulnerabilities.js';

export {
  STEP_DECLARATIONS,
  ENTITIES,
  RELATIONSHIPS,
  MAPPED_RELATIONSHIPS,
  declaredTypes,
} from './declarations.js';
export type { StepDeclaration } from './declarations.js';
export type { ProgressEvent, SyncBase } from './runner.js';
export { MemoryGraphObjectStore } from './stores/memory-store.js';
export { writeJ1Layout } from './stores/j1-layout.js';

/** Every step, in declaration order: the store reads their declared types. */
export const STEPS: IntegrationStep[] = [
  accountStep,
  usersStep,
  groupsStep,
  machinesStep,
  logonUsersStep,
  vulnerabilitiesStep,
  logonUserIsUserStep,
];

export interface RunIntegrationOptions {
  instance: InstanceConfig;
  store: GraphObjectStore;
  onProgress?: (event: ProgressEvent) => void;
  logger?: Logger;
  /** Pre-built clients (tests, benchmarks); otherwise built from the instance and closed after. */
  clients?: MicrosoftClients;
  /** For `sync`: the previous graph, and the saved state when this run is incremental. */
  sync?: SyncBase;
}

/** Collects one instance into `store`. Never throws for a step's failure: see the step results. */
export async function runIntegration(
  options: RunIntegrationOptions,
): Promise<IntegrationRunResult> {
  const clients =
    options.clients ??
    createMicrosoftClients(options.instance, {
      logger: options.logger,
      onPacing: (bucket, waitMs) => options.onProgress?.({ type: 'paced', bucket, waitMs }),
    });
  try {
    return await executeSteps({
      steps: STEPS,
      instance: options.instance,
      store: options.store,
      graph: clients.graph,
      defender: clients.defender,
      counter: clients.counter,
      onProgress: options.onProgress,
      logger: options.logger,
      sync: options.sync,
    });
  } finally {
    if (!options.clients) await clients.close();
  }
}
