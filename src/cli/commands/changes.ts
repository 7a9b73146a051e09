import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerChanges(program: Command): void {
  program
    .command('changes')
    .description('(not yet available)')
    .action(() => {
      throw new Error('changes is not available yet');
    });
}
