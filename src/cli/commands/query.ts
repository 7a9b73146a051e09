import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('(not yet available)')
    .action(() => {
      throw new Error('query is not available yet');
    });
}
