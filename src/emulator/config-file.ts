import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { configFileSchema, type InstanceConfig } from '../config/instance-config.js';
import { rosterCsv } from './roster-file.js';
import type { RosterEntry } from './tenant/roster.js';

export const ROSTER_FILE = 'employees.csv';

/**
 * Writes an instance configuration file (YAML) for an emulated tenant, readable by the owner only:
 * it holds the emulator's own client secret. With a roster, writes it as `employees.csv` next to
 * the file and names it in `people.roster`. Returns the absolute path.
 */
export function writeEmulatorConfigFile(
  file: string,
  instance: InstanceConfig,
  writtenBy: 'demo' | 'emulator',
  roster?: RosterEntry[],
): string {
  const path = resolve(file);
  if (roster) writeFileSync(join(dirname(path), ROSTER_FILE), rosterCsv(roster));
  const config = configFileSchema.parse({
    instances: [roster ? { ...instance, people: { roster: `./${ROSTER_FILE}` } } : instance],
  });
  writeFileSync(
    path,
    `# Written by \`defender-graph ${writtenBy}\` for its simulated tenant; the secret is the emulator's own.\n${stringify(config)}`,
    { mode: 0o600 },
  );
  return path;
}
