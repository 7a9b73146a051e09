import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('(not yet available)')
    .action(() => {
      throw new Error('collect is not available yet');
    });
}
