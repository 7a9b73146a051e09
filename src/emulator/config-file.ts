import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { configFileSchema, type InstanceConfig } from '../config/instance-config.js';

/**
 * Writes an instance configuration file (YAML) for an emulated tenant, readable by the owner only:
 * it holds the emulator's own client secret. Returns the absolute path.
 */
export function writeEmulatorConfigFile(
  file: string,
  instance: InstanceConfig,
  writtenBy: 'demo' | 'emulator',
): string {
  const config = configFileSchema.parse({ instances: [instance] });
  const path = resolve(file);
  writeFileSync(
    path,
    `# Written by \`defender-graph ${writtenBy}\` for its simulated tenant; the secret is the emulator's own.\n${stringify(config)}`,
    { mode: 0o600 },
  );
  return path;
}
