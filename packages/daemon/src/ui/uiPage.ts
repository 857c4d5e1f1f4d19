import { escapeHtml } from '../report/renderReport.js';

/**
 * The dashboard's HTTP headers: a strict Content-Security-Policy (scripts, styles and requests from the daemon itself
 * only, no inline script or style, no framing), no sniffing, no referrer, no caching of pages that show a rollout.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/**
 * The one page of the dashboard (/ui and /ui/rollouts/:id): an empty shell holding no data, which dashboard.js fills
 * from the API with the operator's token. The shell needs no token, so a browser can open it before one is typed.
 */
export function uiPageHtml(title: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    // No favicon request (the browser asks for /favicon.ico otherwise).
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(title)}</title>`,
    '<link rel="stylesheet" href="/ui/assets/uPlot.css">',
    '<link rel="stylesheet" href="/ui/assets/report.css">',
    '<link rel="stylesheet" href="/ui/assets/dashboard.css">',
    '</head>',
    '<body>',
    '<div id="sluice-dashboard" class="report-root"><noscript>The Sluice dashboard needs JavaScript; <code>sluice status</code> and <code>sluice watch</code> show the same from a terminal.</noscript></div>',
    '<script src="/ui/assets/uPlot.js"></script>',
    '<script src="/ui/assets/report.js"></script>',
    '<script src="/ui/assets/dashboard.js"></script>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
