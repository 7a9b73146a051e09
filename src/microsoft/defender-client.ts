import type { ApiClient } from './http.js';
import { ENDPOINTS } from './endpoints.js';
import { MicrosoftApiError } from './errors.js';
import { defenderPages } from './paging.js';
import type {
  AdvancedHuntingResult,
  DefenderLogonUser,
  DefenderMachine,
  DefenderMachineVulnerabilityRow,
  DefenderVulnerability,
} from './types.js';

export class DefenderClient {
  private readonly api: string;

  /** `base` is the Defender origin (plus a path prefix for the emulator), without `/api`. */
  constructor(
    private readonly http: ApiClient,
    base: string,
  ) {
    this.api = `${base}/api`;
  }

  machines(): AsyncGenerator<DefenderMachine[]> {
    return defenderPages(this.http, ENDPOINTS.machines, `${this.api}/machines`);
  }

  /**
   * No bulk endpoint exists for logon users: one call per machine (defender-api.md §7). Paging is
   * undocumented here; a nextLink is followed like the lists' all the same.
   */
  async machineLogonUsers(machineId: string): Promise<DefenderLogonUser[]> {
    const users: DefenderLogonUser[] = [];
    const url = `${this.api}/machines/${encodeURIComponent(machineId)}/logonusers`;
    for await (const page of defenderPages<DefenderLogonUser>(
      this.http,
      ENDPOINTS.machineLogonUsers,
      url,
    )) {
      users.push(...page);
    }
    return users;
  }

  /** One Advanced Hunting query (§4.12); the body keys are case-sensitive, `Query` not `query`. */
  async advancedQuery<Row>(query: string): Promise<AdvancedHuntingResult<Row>> {
    const body = await this.http.postJson(
      ENDPOINTS.advancedQueries,
      `${this.api}/advancedqueries/run`,
      { Query: query },
    );
    const results = (body as { Results?: unknown } | null)?.Results;
    if (!Array.isArray(results))
      throw new MicrosoftApiError({
        api: 'defender',
        endpoint: ENDPOINTS.advancedQueries.label,
        code: 'BAD_RESPONSE',
        message: `${ENDPOINTS.advancedQueries.label}: malformed response, no Results array`,
      });
    return body as AdvancedHuntingResult<Row>;
  }

  /** The application permissions the Defender token carries: which logon-user path a sync takes. */
  grantedRoles(): Promise<string[]> {
    return this.http.grantedRoles();
  }

  vulnerabilities(): AsyncGenerator<DefenderVulnerability[]> {
    return defenderPages(this.http, ENDPOINTS.vulnerabilities, `${this.api}/vulnerabilities`);
  }

  machinesVulnerabilities(): AsyncGenerator<DefenderMachineVulnerabilityRow[]> {
    return defenderPages(
      this.http,
      ENDPOINTS.machinesVulnerabilities,
      `${this.api}/vulnerabilities/machinesVulnerabilities`,
    );
  }

  /** Cheapest permission probes for `validate`: `$top=1` on one endpoint per permission. */
  async probe(
    endpoint: 'machines' | 'machineLogonUsers' | 'vulnerabilities',
  ): Promise<'probed' | 'nothing-to-probe'> {
    if (endpoint === 'machineLogonUsers') {
      const machines = await this.http.getPage<DefenderMachine>(
        ENDPOINTS.machines,
        `${this.api}/machines?$top=1`,
      );
      const machineId = machines.value[0]?.id;
      if (machineId === undefined) return 'nothing-to-probe';
      await this.machineLogonUsers(machineId);
      return 'probed';
    }
    await this.http.getPage(ENDPOINTS[endpoint], `${this.api}/${endpoint}?$top=1`);
    return 'probed';
  }
}
