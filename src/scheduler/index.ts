/** The scheduler part: schedule arithmetic, the scheduler, sync requests and status. */
export { INTERVAL_MS, isDue, nextRunAt, slotAfter, type Schedule } from '../config/schedule.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export {
  DEFAULT_POLL_MS,
  Scheduler,
  startScheduler,
  type SchedulerHooks,
  type SchedulerOptions,
  type SyncControl,
} from './scheduler.js';
export { addSyncRequest } from './requests.js';
export { instanceStatuses, type InstanceStatus } from './status.js';
export {
  importConfiguredRules,
  startService,
  type Service,
  type ServiceOptions,
} from './service.js';
