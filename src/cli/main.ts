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
import { registerServe } from './commands/serve.js';
import { registerUsers } from './commands/users.js';
import { UsageError } from './errors.js';
import { packageVersion } from './version.js';

// `… | head` closes the pipe early: stop quietly instead of printing an EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.OK);
  throw err;
});

const program = new Command('defender-graph')
  .description(
    'Microsoft Defender for Endpoint + Entra ID as a versioned, queryable security asset graph.',
  )
  .version(packageVersion())
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
  registerServe,
  registerUsers,
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
