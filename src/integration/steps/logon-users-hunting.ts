import type { Entity } from '../../graph/types.js';
import { ADVANCED_HUNTING_ROW_LIMIT } from '../../microsoft/endpoints.js';
import { logonUserFromHuntingRow, type HuntingLogonRow } from '../converters/logon-user-hunting.js';
import type { StepContext } from '../step.js';
import { logonSummaryQuery } from './logon-hunting-query.js';
import type { LogonUserSink } from './logon-user-sink.js';

/** Plan ranges a tenth under the cap, so a range sized from the rows seen so far is rarely cut. */
const RANGE_FILL = 0.9;

/** First index in sorted `ids` whose id is greater than `after`. */
function firstAfter(ids: string[], after: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ids[mid]! <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Logon users of every listed machine through Advanced Hunting, one summary query per device-id
 * range. The first range is every machine (one call when the tenant fits under the row cap); an
 * answer that reaches the cap keeps its whole devices and the next range starts after the last of
 * them, sized from the rows per machine seen so far. Devices Advanced Hunting knows but the machine
 * listing did not are left out, as the per-machine path never asks for them.
 */
export async function collectLogonUsersByHunting(
  { defender, instance, progress }: Pick<StepContext, 'defender' | 'instance' | 'progress'>,
  machines: Entity[],
  sink: LogonUserSink,
): Promise<void> {
  const rowLimit = instance.advancedHuntingRowLimit ?? ADVANCED_HUNTING_ROW_LIMIT;
  const byId = new Map(machines.map((m) => [String(m.id).toLowerCase(), m]));
  const ids = [...byId.keys()].sort();
  let after = '';
  let rowsSeen = 0;
  let machinesCovered = 0;
  for (let start = 0; start < ids.length; start = firstAfter(ids, after)) {
    const size =
      rowsSeen === 0
        ? ids.length - start
        : Math.max(1, Math.floor((RANGE_FILL * rowLimit * machinesCovered) / rowsSeen));
    const upTo = ids[Math.min(ids.length, start + size) - 1]!;
    const { Results: rows } = await defender.advancedQuery<HuntingLogonRow>(
      logonSummaryQuery({ after, upTo }, rowLimit),
    );
    let kept = rows;
    let coveredTo = upTo;
    if (rows.length >= rowLimit) {
      // Cut at the cap: the last device may be incomplete, so it starts the next range.
      const lastDevice = rows[rows.length - 1]!.DeviceId.toLowerCase();
      kept = rows.filter((r) => r.DeviceId.toLowerCase() !== lastDevice);
      if (kept.length === 0)
        throw new Error(
          `Advanced Hunting: device ${lastDevice} alone has ${rowLimit} or more logon rows (the row cap); its logon users cannot be listed whole`,
        );
      coveredTo = kept[kept.length - 1]!.DeviceId.toLowerCase();
    }
    for (const [deviceId, deviceRows] of groupByDevice(kept)) {
      const machine = byId.get(deviceId);
      if (machine) await sink.addMachine(machine, deviceRows.map(logonUserFromHuntingRow));
    }
    rowsSeen += kept.length;
    machinesCovered += firstAfter(ids, coveredTo) - start;
    after = coveredTo;
    progress(machinesCovered, ids.length);
  }
}

/** Rows come ordered by device: consecutive runs of one DeviceId. */
function groupByDevice(rows: HuntingLogonRow[]): Map<string, HuntingLogonRow[]> {
  const groups = new Map<string, HuntingLogonRow[]>();
  for (const row of rows) {
    const id = row.DeviceId.toLowerCase();
    const group = groups.get(id);
    if (group) group.push(row);
    else groups.set(id, [row]);
  }
  return groups;
}
