// Debian's Chromium for the browser tests (playwright-core drives it; it downloads no browser).
// Found on PATH, or installed from Debian's packages when the machine has none and apt-get can
// (CI installs it in .ci/run first; a developer's machine may already have it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

const found = (): string | undefined =>
  [process.env.GRANTPLANE_CHROMIUM, ...CANDIDATES].find(
    (path): path is string => path !== undefined && path !== '' && existsSync(path),
  );

/** The Chromium binary: $GRANTPLANE_CHROMIUM, one on the usual paths, or Debian's installed now. */
export function chromiumPath(): string {
  const present = found();
  if (present !== undefined) return present;
  const root = process.getuid?.() === 0;
  if (!root || spawnSync('apt-get', ['--version']).status !== 0)
    throw new Error(
      'The browser tests need Chromium: `sudo apt-get install chromium` (Debian), or set GRANTPLANE_CHROMIUM to a Chromium binary',
    );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { env, stdio: 'ignore' });
  const installed = found();
  if (installed === undefined) throw new Error('apt-get install chromium finished, but no chromium binary was found');
  return installed;
}
