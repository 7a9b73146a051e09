import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerDocs(program: Command): void {
  program
    .command('docs')
    .description('(not yet available)')
    .action(() => {
      throw new Error('docs is not available yet');
    });
}
