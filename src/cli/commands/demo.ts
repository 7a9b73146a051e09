import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('(not yet available)')
    .action(() => {
      throw new Error('demo is not available yet');
    });
}
