import { Argument, type Command } from 'commander';
import { bashCompletion, zshCompletion } from '../completion.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script for bash or zsh (commands, options, choices)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      '\nInstall:\n  bash: defender-graph completion bash > ~/.local/share/bash-completion/completions/defender-graph\n  zsh:  defender-graph completion zsh > "${fpath[1]}/_defender-graph"   (then start a new shell)\nExit codes: 0 printed, 2 unknown shell.',
    )
    .action((shell: 'bash' | 'zsh') => {
      process.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
}
