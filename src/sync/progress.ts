import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { StepResult } from '../graph/types.js';
import { routeLogLines } from '../util/logger.js';
import type { SyncProgress } from './run-sync.js';

/** Line progress updates at most this often per step, so a long step shows it is alive without flooding. */
const STEP_PROGRESS_EVERY_MS = 2_000;
/** Bars redraw this often, so the ETA and a quota wait count down. */
const REDRAW_EVERY_MS = 1_000;

/** How `collect`, `sync` and `demo` show a run on stderr; stdout stays for the summary or JSON. */
export interface ProgressDisplay {
  onProgress: (event: SyncProgress) => void;
  /** Ends the display (bars are left as drawn). */
  stop(): void;
}

const API_NAMES: Record<string, string> = { graph: 'Microsoft Graph', defender: 'Defender' };

/** A pacing bucket (`graph`, `defender:machines`, …) as the API a person knows. */
function apiOf(bucket: string): string {
  const api = bucket.split(':')[0]!;
  return API_NAMES[api] ?? api;
}

const wholeSeconds = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))} s`;

export function quotaWaitMessage(bucket: string, resumesInMs: number): string {
  return `waiting for the ${apiOf(bucket)} quota, resumes in ${wholeSeconds(resumesInMs)}`;
}

/** "42/120" when the step knows its total, "42" (so far) when it does not. */
function counted(done: number, total: number | undefined): string {
  return total === undefined ? `${done}` : `${done}/${total}`;
}

/** Time left at the rate so far, once something is done and the total is known. */
export function eta(
  done: number,
  total: number | undefined,
  elapsedMs: number,
): number | undefined {
  if (total === undefined || done <= 0 || done >= total) return undefined;
  return (elapsedMs / done) * (total - done);
}

function stepLine(r: StepResult): string {
  const mark = r.status === 'success' ? '✓' : r.status === 'disabled' ? '-' : '✗';
  const counts = Object.values(r.encounteredTypeCounts).reduce((a, b) => a + b, 0);
  const why = r.reason ? `: ${r.reason}` : '';
  const took = r.durationMs === undefined ? '' : ` in ${(r.durationMs / 1000).toFixed(1)} s`;
  return `${mark} ${r.id}: ${r.status}, ${counts} objects, ${r.apiCalls} API calls${took}${why}`;
}

/**
 * Announces a quota wait once: further waits that end before the announced one are the same
 * pause seen by other requests.
 */
function quotaAnnouncer() {
  const announcedUntil = new Map<string, number>();
  return (bucket: string, waitMs: number, now: number): string | undefined => {
    const api = apiOf(bucket);
    if (waitMs < 1_000 || now + waitMs <= (announcedUntil.get(api) ?? 0)) return undefined;
    announcedUntil.set(api, now + waitMs);
    return quotaWaitMessage(bucket, waitMs);
  };
}

/** Plain lines, for a log file or a pipe. */
export function lineProgress(
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  now: () => number = Date.now,
): ProgressDisplay {
  const lastShown = new Map<string, number>();
  const started = new Map<string, number>();
  const announce = quotaAnnouncer();
  const onProgress = (event: SyncProgress): void => {
    switch (event.type) {
      case 'step_start':
        started.set(event.stepId, now());
        write(`… ${event.stepId}: ${event.name}`);
        return;
      case 'step_progress': {
        const at = now();
        if (at - (lastShown.get(event.stepId) ?? 0) < STEP_PROGRESS_EVERY_MS) return;
        lastShown.set(event.stepId, at);
        const done = event.done ?? 0;
        const left = eta(done, event.total, at - (started.get(event.stepId) ?? at));
        const of = event.done === undefined ? '' : ` (${counted(done, event.total)})`;
        const until = left === undefined ? '' : `, about ${wholeSeconds(left)} left`;
        write(
          `  ${event.stepId}: ${event.entities} entities, ${event.relationships} relationships${of}${until}`,
        );
        return;
      }
      case 'step_end':
        write(stepLine(event.result));
        return;
      case 'paced': {
        const message = announce(event.bucket, event.waitMs, now());
        if (message) write(`  ${message}`);
        return;
      }
      case 'phase':
        write(`… ${event.phase}`);
        return;
    }
  };
  return { onProgress, stop: () => undefined };
}

interface StepState {
  bar: SingleBar;
  startedAt: number;
  done: number;
  total?: number;
  running: boolean;
}

/**
 * One bar per step and a status line (quota waits, commit phases), on a terminal. (`timeLeft`:
 * cli-progress's own `eta` token knows nothing of steps without a total.)
 */
function barProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  const multibar = new MultiBar(
    {
      format:
        '{step} {bar} {count} | {status} | entities {entities} | relationships {relationships}{timeLeft}',
      barsize: 16,
      hideCursor: true,
      clearOnComplete: false,
      stream,
    },
    Presets.shades_grey,
  );
  const steps = new Map<string, StepState>();
  const announce = quotaAnnouncer();
  let status: SingleBar | undefined;
  let waitUntil: { bucket: string; at: number } | undefined;
  const restoreLogs = routeLogLines((line) => multibar.log(line));

  const say = (message: string) => {
    status ??= multibar.create(1, 0, { message }, { format: '{message}' });
    status.update({ message });
  };
  const redraw = () => {
    const now = Date.now();
    for (const state of steps.values()) {
      const left = state.running ? eta(state.done, state.total, now - state.startedAt) : undefined;
      state.bar.update({ timeLeft: left === undefined ? '' : ` | ETA ${wholeSeconds(left)}` });
    }
    if (waitUntil && waitUntil.at > now)
      say(quotaWaitMessage(waitUntil.bucket, waitUntil.at - now));
    else if (waitUntil) {
      waitUntil = undefined;
      say('');
    }
  };
  const timer = setInterval(redraw, REDRAW_EVERY_MS);
  timer.unref();

  const create = (stepId: string, stepStatus: string): StepState => {
    const state: StepState = {
      bar: multibar.create(1, 0, {
        step: stepId.padEnd(26),
        status: stepStatus,
        count: '0',
        entities: 0,
        relationships: 0,
        timeLeft: '',
      }),
      startedAt: Date.now(),
      done: 0,
      running: stepStatus === 'running',
    };
    steps.set(stepId, state);
    return state;
  };

  const onProgress = (event: SyncProgress): void => {
    switch (event.type) {
      case 'step_start':
        create(event.stepId, 'running');
        return;
      case 'step_progress': {
        const state = steps.get(event.stepId) ?? create(event.stepId, 'running');
        state.done = event.done ?? 0;
        state.total = event.total;
        // Without a total the bar stays empty; the count says how many so far.
        state.bar.setTotal(event.total ?? 1);
        state.bar.update(event.total === undefined ? 0 : state.done, {
          count: counted(state.done, event.total),
          entities: event.entities,
          relationships: event.relationships,
        });
        return;
      }
      case 'step_end': {
        const r = event.result;
        const state = steps.get(r.id) ?? create(r.id, r.status);
        state.running = false;
        state.bar.setTotal(1);
        state.bar.update(r.status === 'success' ? 1 : 0, { status: r.status, timeLeft: '' });
        return;
      }
      case 'paced': {
        const message = announce(event.bucket, event.waitMs, Date.now());
        if (!message) return;
        waitUntil = { bucket: event.bucket, at: Date.now() + event.waitMs };
        say(message);
        return;
      }
      case 'phase':
        waitUntil = undefined;
        say(`… ${event.phase}`);
        return;
    }
  };
  return {
    onProgress,
    stop: () => {
      clearInterval(timer);
      redraw();
      multibar.stop();
      restoreLogs();
    },
  };
}

/** Bars on a terminal, lines otherwise, nothing with `--quiet`. */
export function createProgress(options: { quiet?: boolean } = {}): ProgressDisplay | undefined {
  if (options.quiet) return undefined;
  return process.stderr.isTTY ? barProgress(process.stderr) : lineProgress();
}
