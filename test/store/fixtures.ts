import type {
  Entity,
  IntegrationRunResult,
  Relationship,
  StepResult,
  StepResultStatus,
} from '../../src/graph/types.js';

export const USER = 'microsoft_defender_user';
export const MACHINE = 'microsoft_defender_machine';
export const VULN = 'microsoft_defender_vulnerability';
export const ACCOUNT_HAS_USER = 'microsoft_defender_account_has_user';
export const MACHINE_VULN = 'microsoft_defender_machine_identified_vulnerability';
export const VULN_IS_CVE = 'microsoft_defender_vulnerability_is_cve';

export function user(id: string, props: Record<string, string | boolean | string[]> = {}): Entity {
  return {
    _key: `${USER}:${id}`,
    _type: USER,
    _class: ['User'],
    displayName: `User ${id}`,
    active: true,
    ...props,
    _rawData: [{ name: 'default', rawData: { id, noise: Math.random() } }],
  };
}

export function machine(id: string, props: Record<string, string | number> = {}): Entity {
  return { _key: `${MACHINE}:${id}`, _type: MACHINE, _class: ['HostAgent'], name: id, ...props };
}

export function vulnerability(cve: string): Entity {
  return { _key: `${VULN}:${cve}`, _type: VULN, _class: ['Finding'], name: cve, severity: 'High' };
}

export function machineVuln(machineId: string, cve: string): Relationship {
  const from = `${MACHINE}:${machineId}`;
  const to = `${VULN}:${cve}`;
  return {
    _key: `${from}|identified|${to}`,
    _type: MACHINE_VULN,
    _class: 'IDENTIFIED',
    _fromEntityKey: from,
    _toEntityKey: to,
  };
}

export function step(
  id: string,
  declaredTypes: string[],
  status: StepResultStatus = 'success',
  extra: Partial<StepResult> = {},
): StepResult {
  return {
    id,
    name: id,
    dependsOn: [],
    status,
    declaredTypes,
    partialTypes: [],
    encounteredTypes: declaredTypes,
    encounteredTypeCounts: {},
    apiCalls: 1,
    ...extra,
  };
}

/** A run result as the step runner reports it; partialDatasets derived the SDK's way. */
export function run(steps: StepResult[]): IntegrationRunResult {
  const partial = steps.flatMap((s) => [
    ...(s.status !== 'disabled' ? s.partialTypes : []),
    ...(s.status === 'failure' || s.status === 'partial_success_due_to_dependency_failure'
      ? s.declaredTypes
      : []),
  ]);
  return {
    instanceName: 'test',
    startedAt: 0,
    finishedAt: 1,
    stepResults: steps,
    partialDatasets: { types: [...new Set(partial)] },
    disabledTypes: steps.filter((s) => s.status === 'disabled').flatMap((s) => s.declaredTypes),
    apiCalls: { 'graph /users': steps.length },
  };
}
