/**
 * Debian's Chromium driven by playwright-core, for the browser tests and the explorer benchmark.
 * Never a browser download: when /usr/bin/chromium is missing (`.ci/run` installs it) callers skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const HAS_CHROMIUM = existsSync(CHROMIUM);

export const NO_CHROMIUM_MESSAGE = `browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does it)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
