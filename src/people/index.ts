/** The people part's entry points for the CLI (and later the HTTP API): import, explain, report. */
import type { GraphStore } from '../store/index.js';
import {
  explainKey,
  matchingContext,
  peopleReport,
  type Explanation,
  type PeopleReport,
} from './analysis.js';
import { loadPeopleGraph } from './people-graph.js';
import { readRosterFile } from './roster.js';
import { loadPeopleRules } from './rules-file.js';

export { RosterError } from './roster.js';
export { PeopleRulesError } from './rules.js';
export type { Explanation, PeopleReport };

/** Reads and validates the whole roster first, so a bad file stores nothing and the previous roster stays. */
export async function importRoster(
  store: GraphStore,
  instanceName: string,
  file: string,
): Promise<{ name: string; rows: number }> {
  const roster = readRosterFile(file);
  await store.saveRoster(instanceName, roster);
  return { name: roster.name, rows: roster.rows.length };
}

export async function explainPeople(
  store: GraphStore,
  instanceId: string,
  rulesFile: string | undefined,
  key: string,
): Promise<Explanation | undefined> {
  const rules = loadPeopleRules(rulesFile);
  const graph = await loadPeopleGraph(store, instanceId);
  return explainKey(graph, matchingContext(graph, rules), key);
}

export async function reportPeople(
  store: GraphStore,
  instanceId: string,
  rulesFile: string | undefined,
): Promise<PeopleReport> {
  const rules = loadPeopleRules(rulesFile);
  const graph = await loadPeopleGraph(store, instanceId);
  return peopleReport(graph, matchingContext(graph, rules));
}
