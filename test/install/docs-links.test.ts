import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');

function tracked(...patterns: string[]): string[] {
  return execFileSync('git', ['ls-files', '--', ...patterns], { encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && existsSync(file));
}

/** Inline `[text](target)` and `![alt](target)` links, and reference definitions `[id]: target`. */
function linkTargets(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const inline = [...withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
  const definitions = [...withoutCode.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...definitions].map((m) => m[1]!);
}

describe('the documentation stands alone', () => {
  it('every relative link in a tracked markdown file points at a file of the repository', () => {
    const problems: string[] = [];
    for (const file of tracked('*.md')) {
      for (const target of linkTargets(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
        const path = resolve(dirname(file), decodeURIComponent(target.split('#')[0]!));
        if (relative(ROOT, path).startsWith('..')) problems.push(`${file}: ${target} is outside`);
        else if (!existsSync(path)) problems.push(`${file}: ${target} does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('no doc or source points at the reference material kept beside the repository', () => {
    const outside = tracked('*.md', 'src/**', 'web/src/**', 'deploy/**', 'Dockerfile').filter(
      (file) => /\.\.\/shared\/|shared\/reference|\/work\/shared/.test(readFileSync(file, 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('the references the code cites are in docs/reference', () => {
    for (const name of ['graph-api.md', 'defender-api.md'])
      expect(existsSync(join('docs/reference', name)), name).toBe(true);
  });
});
