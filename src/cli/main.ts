#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { registerEmulator } from './commands/emulator.js';
import { registerDemo } from './commands/demo.js';
import { registerValidate } from './commands/validate.js';
import { registerCollect } from './commands/collect.js';
import { registerSync } from './commands/sync.js';
import { registerChanges } from './commands/changes.js';
import { registerHistory } from './commands/history.js';
import { registerExport } from './commands/export.js';
import { registerQuery } from './commands/query.js';
import { registerDocs } from './commands/docs.js';
import { UsageError } from './errors.js';

const program = new Command('defender-graph')
  .description(
    'Microsoft Defender for Endpoint + Entra ID as a versioned, queryable security asset graph.',
  )
  .version(process.env.npm_package_version ?? '0.1.0')
  .exitOverride()
  .showHelpAfterError();

for (const register of [
  registerDemo,
  registerEmulator,
  registerValidate,
  registerCollect,
  registerSync,
  registerChanges,
  registerHistory,
  registerExport,
  registerQuery,
  registerDocs,
]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  } else if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = ExitCode.USAGE;
  } else {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = ExitCode.FAILED;
  }
}
