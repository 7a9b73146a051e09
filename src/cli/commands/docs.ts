import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderDataModel } from '../../integration/data-model-doc.js';
import { SYNC_STEP_DECLARATIONS } from '../../sync/declarations.js';

export function registerDocs(program: Command): void {
  const docs = program.command('docs').description('Generate documentation from the code');
  docs
    .command('model')
    .description(
      'Write the data-model tables (entities, relationships, steps, permissions) from the step declarations',
    )
    .requiredOption('-o, --output <file>', 'Markdown file to write (docs/data-model.md)')
    .action((options: { output: string }) => {
      writeFileSync(options.output, renderDataModel(SYNC_STEP_DECLARATIONS));
      process.stdout.write(`Wrote ${options.output}\n`);
    });
}
