import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('(not yet available)')
    .action(() => {
      throw new Error('history is not available yet');
    });
}
