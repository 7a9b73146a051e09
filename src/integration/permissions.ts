import type { InstanceConfig } from '../config/instance-config.js';
import { MicrosoftApiError } from '../microsoft/errors.js';
import { createMicrosoftClients, type MicrosoftClients } from '../microsoft/index.js';
import type { Logger } from '../util/logger.js';
import { declaredTypes, STEP_DECLARATIONS, withDependents } from './declarations.js';
import { planLogonUserPaths, type LogonUserPathReport } from './logon-user-paths.js';

export interface PermissionCheck {
  api: 'graph' | 'defender';
  permission: string;
  /** null: could not be probed (the reason says why). */
  granted: boolean | null;
  /**
   * The probe itself failed (network, server error, no token): nothing is known about the
   * permission, and the check as a whole failed.
   */
  probeFailed: boolean;
  /**
   * `_type`s the steps needing this permission, and the steps depending on those, produce: lost
   * (kept from the last sync) without it.
   */
  typesLost: string[];
  /** Steps that need the permission. */
  steps: string[];
  /** Steps that depend on those (directly or not): they run without that data. */
  dependentSteps: string[];
  reason?: string;
}

export interface TokenCheck {
  api: 'graph' | 'defender';
  ok: boolean;
  reason?: string;
}

export interface PermissionReport {
  instanceName: string;
  tokens: TokenCheck[];
  permissions: PermissionCheck[];
  /** Which way logon users are collected and what each way costs; absent without a Defender token. */
  logonUsers?: LogonUserPathReport;
  /** Why `logonUsers` could not be worked out, when it could not. */
  logonUsersProblem?: string;
  apiCalls: Record<string, number>;
}

type Probe = (clients: MicrosoftClients) => Promise<'probed' | 'nothing-to-probe'>;

const NOTHING_TO_PROBE: Record<string, string> = {
  'GroupMember.Read.All': 'no group to probe with (needs Group.Read.All and one group)',
  'User.Read.All': 'no machine to probe with (needs Machine.Read.All and one machine)',
};

/** The cheapest call that proves each permission (one item, `$top=1`). */
const PROBES: { api: 'graph' | 'defender'; permission: string; probe: Probe }[] = [
  {
    api: 'graph',
    permission: 'Organization.Read.All',
    probe: (c) => c.graph.probe('organization'),
  },
  { api: 'graph', permission: 'User.Read.All', probe: (c) => c.graph.probe('users') },
  { api: 'graph', permission: 'Group.Read.All', probe: (c) => c.graph.probe('groups') },
  { api: 'graph', permission: 'GroupMember.Read.All', probe: (c) => c.graph.probe('groupMembers') },
  { api: 'defender', permission: 'Machine.Read.All', probe: (c) => c.defender.probe('machines') },
  {
    api: 'defender',
    permission: 'User.Read.All',
    probe: (c) => c.defender.probe('machineLogonUsers'),
  },
  {
    api: 'defender',
    permission: 'Vulnerability.Read.All',
    probe: (c) => c.defender.probe('vulnerabilities'),
  },
];

/** What a missing permission costs: the steps needing it, the steps depending on them, their types. */
export function permissionImpact(
  api: 'graph' | 'defender',
  permission: string,
): Pick<PermissionCheck, 'steps' | 'dependentSteps' | 'typesLost'> {
  const steps = STEP_DECLARATIONS.filter((s) =>
    s.permissions.some((p) => p.api === api && p.permission === permission),
  ).map((s) => s.id);
  const affected = withDependents(steps);
  return {
    steps,
    dependentSteps: affected.map((s) => s.id).filter((id) => !steps.includes(id)),
    typesLost: [...new Set(affected.flatMap(declaredTypes))],
  };
}

/**
 * Gets both tokens, then probes every permission the steps need. A token failure is thrown (the
 * caller exits 1 with its AADSTS reason); a missing permission is reported, not thrown.
 */
export async function checkPermissions(
  instance: InstanceConfig,
  options: { logger?: Logger; clients?: MicrosoftClients } = {},
): Promise<PermissionReport> {
  const clients =
    options.clients ??
    createMicrosoftClients(instance, { logger: options.logger, retry: { maxRetries: 2 } });
  try {
    const tokens: TokenCheck[] = [];
    for (const [api, provider] of [
      ['graph', clients.graphTokens],
      ['defender', clients.defenderTokens],
    ] as const) {
      try {
        await provider.getToken();
        tokens.push({ api, ok: true });
      } catch (err) {
        tokens.push({ api, ok: false, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    const permissions: PermissionCheck[] = [];
    for (const { api, permission, probe } of PROBES) {
      const check: PermissionCheck = {
        api,
        permission,
        granted: null,
        probeFailed: false,
        ...permissionImpact(api, permission),
      };
      permissions.push(check);
      if (!tokens.find((t) => t.api === api)?.ok) {
        check.reason = 'no token';
        check.probeFailed = true;
        continue;
      }
      try {
        const outcome = await probe(clients);
        if (outcome === 'nothing-to-probe') check.reason = NOTHING_TO_PROBE[permission];
        else check.granted = true;
      } catch (err) {
        if (err instanceof MicrosoftApiError && err.code === 'FORBIDDEN') {
          check.granted = false;
          check.reason = err.message;
        } else if (
          err instanceof MicrosoftApiError &&
          err.endpoint.includes('/api/machines') &&
          permission === 'User.Read.All'
        ) {
          check.reason = `could not list a machine to probe with: ${err.message}`;
          check.probeFailed = true;
        } else {
          check.reason = err instanceof Error ? err.message : String(err);
          check.probeFailed = true;
        }
      }
    }
    const paths: Pick<PermissionReport, 'logonUsers' | 'logonUsersProblem'> = {};
    if (tokens.find((t) => t.api === 'defender')?.ok) {
      try {
        paths.logonUsers = await planLogonUserPaths(instance, clients);
      } catch (err) {
        paths.logonUsersProblem = err instanceof Error ? err.message : String(err);
      }
    }
    if (paths.logonUsers?.path === 'advanced-hunting') {
      // The per-machine permission is then not needed: nothing is lost without it.
      const perMachine = permissions.find(
        (p) => p.api === 'defender' && p.permission === 'User.Read.All',
      )!;
      perMachine.typesLost = [];
      perMachine.steps = [];
      perMachine.dependentSteps = [];
      if (perMachine.granted !== true)
        perMachine.reason = 'not needed: logon users come through Advanced Hunting';
    }
    return {
      instanceName: instance.name,
      tokens,
      permissions,
      ...paths,
      apiCalls: { ...clients.counter.byLabel },
    };
  } finally {
    if (!options.clients) await clients.close();
  }
}
