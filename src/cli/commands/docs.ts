import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderDataModel } from '../../integration/data-model-doc.js';
import { SYNC_STEP_DECLARATIONS } from '../../sync/declarations.js';
import { outputIsStdout, outputOption } from '../options.js';

export function registerDocs(program: Command): void {
  const docs = program.command('docs').description('Generate documentation from the code');
  docs
    .command('model')
    .description(
      'Write the data-model tables (entities, relationships, steps, permissions) from the step declarations',
    )
    .addOption(outputOption('Markdown file to write (docs/data-model.md)'))
    .action((options: { output: string }) => {
      const markdown = renderDataModel(SYNC_STEP_DECLARATIONS);
      if (outputIsStdout(options.output, {})) return void process.stdout.write(markdown);
      writeFileSync(options.output, markdown);
      process.stdout.write(`Wrote ${options.output}\n`);
    });
}
