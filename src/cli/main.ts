#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../util/exit-codes.js';
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
import { errorDocument, wantsJson } from './error-document.js';
import { printJson } from './output.js';
import { registerPeople } from './commands/people.js';
import { registerServe } from './commands/serve.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerRules } from './commands/rules.js';
import { registerAlerts } from './commands/alerts.js';
import { registerUsers } from './commands/users.js';
import { packageVersion } from './version.js';
import { registerCompletion } from './commands/completion.js';
import { registerPrune } from './commands/prune.js';
import { addCommonOptions } from './options.js';

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
  registerPeople,
  registerDocs,
  registerServe,
  registerRun,
  registerStatus,
  registerRules,
  registerAlerts,
  registerUsers,
  registerPrune,
  registerCompletion,
]) {
  register(program);
}
addCommonOptions(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Help and --version end through exitOverride too: they are not errors.
  if (err instanceof CommanderError && err.exitCode === 0) process.exitCode = ExitCode.OK;
  else {
    const document = errorDocument(err);
    // Commander has already printed its own message (and the help after it).
    if (!(err instanceof CommanderError))
      process.stderr.write(`error: ${document.error.message}\n`);
    if (wantsJson(process.argv.slice(2))) printJson(document);
    process.exitCode = document.error.exitCode;
  }
}
