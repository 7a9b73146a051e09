import type { Collection } from './collection.js';
import type { TenantState } from './state.js';
import type { MachineVulnerabilityRow } from './types.js';

/**
 * The bulk `/api/vulnerabilities/machinesVulnerabilities` rows in machine order. Random access goes
 * through a prefix sum of rows per machine, built on first use for the current data.
 */
export class MachineVulnerabilityRows implements Collection<MachineVulnerabilityRow> {
  private index: { machines: number[]; ends: Float64Array } | undefined;
  private indexedRound = -1;

  constructor(private readonly state: TenantState) {}

  private rowsOf(machineIndex: number): MachineVulnerabilityRow[] {
    const machineId = this.state.machineFactory.ids.id(machineIndex);
    return this.state
      .cveIndexes(machineIndex)
      .flatMap((c) => this.state.catalog.rows(machineId, c));
  }

  private rowIndex(): { machines: number[]; ends: Float64Array } {
    if (this.index && this.indexedRound === this.state.round) return this.index;
    const machines = [...this.state.machines.indexes()];
    const ends = new Float64Array(machines.length);
    let total = 0;
    machines.forEach((m, i) => {
      for (const c of this.state.cveIndexes(m)) total += this.state.catalog.products(c).length;
      ends[i] = total;
    });
    this.index = { machines, ends };
    this.indexedRound = this.state.round;
    return this.index;
  }

  count(): number {
    const { ends } = this.rowIndex();
    return ends.length === 0 ? 0 : (ends[ends.length - 1] as number);
  }

  at(position: number): MachineVulnerabilityRow | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.count()) return undefined;
    const { machines, ends } = this.rowIndex();
    let low = 0;
    let high = ends.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((ends[mid] as number) <= position) low = mid + 1;
      else high = mid;
    }
    const start = low === 0 ? 0 : (ends[low - 1] as number);
    return this.rowsOf(machines[low] as number)[position - start];
  }

  byId(id: string): MachineVulnerabilityRow | undefined {
    const [machineId, cveId] = id.split('-_-');
    if (!machineId || !cveId) return undefined;
    const machineIndex = this.state.machines.indexOf(machineId);
    const cveIndex = this.state.catalog.indexOf(cveId);
    if (machineIndex === undefined || cveIndex === undefined) return undefined;
    if (!this.state.cveIndexes(machineIndex).includes(cveIndex)) return undefined;
    return this.state.catalog
      .rows(this.state.machineFactory.ids.id(machineIndex), cveIndex)
      .find((row) => row.id === id);
  }

  *[Symbol.iterator](): Iterator<MachineVulnerabilityRow> {
    for (const m of this.state.machines.indexes()) yield* this.rowsOf(m);
  }
}
