import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, for the browser tests and scripts/screenshots.ts. The binary comes from
 * scripts/ensure-chromium.sh (apt-get when missing); playwright never downloads a browser here. The flags are the ones
 * this kind of machine needs (no sandbox as root, no GPU) plus those that keep Chromium from calling home, and every
 * launch gets a fresh user-data directory.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
] as const;

/** Time to install Chromium on a fresh machine (apt-get) and to start it. */
export const CHROMIUM_INSTALL_TIMEOUT_MS = 600_000;
export const CHROMIUM_LAUNCH_TIMEOUT_MS = 60_000;

export function ensureChromium(): string {
  const script = fileURLToPath(new URL('../../../../../scripts/ensure-chromium.sh', import.meta.url));
  return execFileSync('sh', [script], { encoding: 'utf8', timeout: CHROMIUM_INSTALL_TIMEOUT_MS }).trim();
}

/**
 * Launches Chromium with a user-data directory of its own (playwright makes a fresh temporary profile for every
 * launch and removes it on close).
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: [...CHROMIUM_FLAGS], timeout: CHROMIUM_LAUNCH_TIMEOUT_MS });
}
