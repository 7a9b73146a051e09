import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('(not yet available)')
    .action(() => {
      throw new Error('export is not available yet');
    });
}
