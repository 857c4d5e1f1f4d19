import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DaemonError } from '../errors.js';

/**
 * The static text a report page is made of: uPlot (script and styles, from its npm package) and the report's own page
 * script and styles (src/report/client). They are read once and kept; the report inlines them, the dashboard serves
 * them under /ui/assets.
 *
 * The client files are plain browser JavaScript and CSS, not TypeScript, so tsc does not copy them to dist; they are
 * read from the package's src/ folder, which is published with it (package.json "files"). This module sits two levels
 * below the package root both as src/report/assets.ts and as dist/report/assets.js, so one relative path serves both.
 */
export type AssetName = 'uPlot.js' | 'uPlot.css' | 'report.js' | 'report.css' | 'dashboard.js' | 'dashboard.css';

export interface Asset {
  name: AssetName;
  text: string;
  contentType: string;
  /** `sha256-…` of the text, for a Content-Security-Policy that allows this inline script or style and nothing else. */
  cspHash: string;
}

const require = createRequire(import.meta.url);
const cache = new Map<AssetName, Asset>();

function pathOf(name: AssetName): string {
  switch (name) {
    case 'uPlot.js':
      return require.resolve('uplot/dist/uPlot.iife.min.js');
    case 'uPlot.css':
      return require.resolve('uplot/dist/uPlot.min.css');
    case 'report.js':
    case 'report.css':
      return fileURLToPath(new URL(`../../src/report/client/${name}`, import.meta.url));
    case 'dashboard.js':
    case 'dashboard.css':
      return fileURLToPath(new URL(`../../src/ui/client/${name}`, import.meta.url));
  }
}

/**
 * @throws DaemonError SLUICE_E_INTERNAL when a file is missing: an installation without its src/ folder or uPlot.
 */
export function asset(name: AssetName): Asset {
  const cached = cache.get(name);
  if (cached) return cached;
  let text: string;
  const path = pathOf(name);
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DaemonError('SLUICE_E_INTERNAL', `cannot read the report asset ${name} at ${path}: the @sluice/daemon installation is incomplete (reinstall it)`, { cause: error });
  }
  const loaded: Asset = {
    name,
    text,
    contentType: name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
    cspHash: `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`,
  };
  cache.set(name, loaded);
  return loaded;
}

export function isAssetName(name: string): name is AssetName {
  return ['uPlot.js', 'uPlot.css', 'report.js', 'report.css', 'dashboard.js', 'dashboard.css'].includes(name);
}
