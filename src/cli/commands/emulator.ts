import type { Command } from 'commander';

// Placeholder until its issue lands: replaced wholesale by the owning module.
export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description('(not yet available)')
    .action(() => {
      throw new Error('emulator is not available yet');
    });
}
