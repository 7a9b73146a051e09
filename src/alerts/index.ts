/** The alerts part: rule loading, evaluation, the alert lifecycle and the functions CLI and API share. */
import { fileURLToPath } from 'node:url';

export {
  RuleError,
  loadRuleFile,
  loadRuleFolder,
  mergeLoaded,
  parseRuleText,
  rulesFromItems,
} from './load.js';
export type { LoadedRules, SavedQuestion } from './load.js';
export {
  AlertNotFoundError,
  acknowledgeAlert,
  dismissAlert,
  findRule,
  getAlert,
  importRules,
  listAlerts,
  listRules,
  setRuleEnabled,
  type Alert,
  type AlertDetail,
  type AlertFilter,
  type ImportSummary,
  type StoredRule,
} from './alert-store.js';
export {
  evaluateAfterSync,
  evaluateDueRules,
  evaluateRuleNow,
  syncEvaluated,
  type EvaluationSummary,
  type MonitorOptions,
} from './monitor.js';
export { ALERT_STATUSES, type AlertStatus } from './lifecycle.js';

/** The Defender rule pack shipped with the program (`rules/defender/`). */
export const DEFENDER_RULES_FOLDER = fileURLToPath(
  new URL('../../rules/defender/', import.meta.url),
);
