import type { SyncProgress } from './run-sync.js';

/** Progress updates at most this often per step, so a long step shows it is alive without flooding. */
const STEP_PROGRESS_EVERY_MS = 2_000;

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` in ${(ms / 1000).toFixed(1)} s`;
}

/** Human progress lines on stderr (stdout stays for the summary or JSON). */
export function stderrProgress(
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
) {
  const lastShown = new Map<string, number>();
  return (event: SyncProgress): void => {
    switch (event.type) {
      case 'step_start':
        write(`… ${event.stepId}: ${event.name}`);
        return;
      case 'step_progress': {
        const now = Date.now();
        if (now - (lastShown.get(event.stepId) ?? 0) < STEP_PROGRESS_EVERY_MS) return;
        lastShown.set(event.stepId, now);
        const of = event.total !== undefined ? ` (${event.done ?? 0}/${event.total})` : '';
        write(
          `  ${event.stepId}: ${event.entities} entities, ${event.relationships} relationships${of}`,
        );
        return;
      }
      case 'step_end': {
        const r = event.result;
        const mark = r.status === 'success' ? '✓' : r.status === 'disabled' ? '-' : '✗';
        const counts = Object.values(r.encounteredTypeCounts).reduce((a, b) => a + b, 0);
        const why = r.reason ? `: ${r.reason}` : '';
        write(
          `${mark} ${r.id}: ${r.status}, ${counts} objects, ${r.apiCalls} API calls${seconds(r.durationMs)}${why}`,
        );
        return;
      }
      case 'phase':
        write(`… ${event.phase}`);
        return;
    }
  };
}
