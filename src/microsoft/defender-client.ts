import type { ApiClient } from './http.js';
import { ENDPOINTS } from './endpoints.js';
import { defenderPages } from './paging.js';
import type {
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

  /** No bulk endpoint exists for logon users: one call per machine (defender-api.md §7). */
  async machineLogonUsers(machineId: string): Promise<DefenderLogonUser[]> {
    const page = await this.http.getJson<{ value?: DefenderLogonUser[] }>(
      ENDPOINTS.machineLogonUsers,
      `${this.api}/machines/${encodeURIComponent(machineId)}/logonusers`,
    );
    return page.value ?? [];
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
  ): Promise<'probed' | 'no-machine'> {
    if (endpoint === 'machineLogonUsers') {
      const machines = await this.http.getJson<{ value?: DefenderMachine[] }>(
        ENDPOINTS.machines,
        `${this.api}/machines?$top=1`,
      );
      const machineId = machines.value?.[0]?.id;
      if (machineId === undefined) return 'no-machine';
      await this.machineLogonUsers(machineId);
      return 'probed';
    }
    await this.http.getJson(ENDPOINTS[endpoint], `${this.api}/${endpoint}?$top=1`);
    return 'probed';
  }
}
