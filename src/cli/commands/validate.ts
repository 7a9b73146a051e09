import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('(not yet available)')
    .action(() => {
      throw new Error('validate is not available yet');
    });
}
