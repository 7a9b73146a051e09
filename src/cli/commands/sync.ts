import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('(not yet available)')
    .action(() => {
      throw new Error('sync is not available yet');
    });
}
