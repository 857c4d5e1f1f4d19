import { asset } from './assets.js';
import type { ReportData } from './reportTypes.js';

/**
 * The self-contained HTML of `sluice report`: one file with its styles, scripts and data inline, so it opens from
 * file:// with no network. A Content-Security-Policy in the page allows exactly the inline scripts and styles it holds
 * (by hash) and nothing else: no request can leave the page, whatever the log's strings contain.
 */
export function renderReportHtml(data: ReportData): string {
  const uPlotJs = asset('uPlot.js');
  const uPlotCss = asset('uPlot.css');
  const reportJs = asset('report.js');
  const reportCss = asset('report.css');
  for (const script of [uPlotJs, reportJs]) {
    if (/<\/script/i.test(script.text)) throw new Error(`assertion: ${script.name} contains "</script" and cannot be inlined`);
  }
  const csp = [
    "default-src 'none'",
    `script-src '${uPlotJs.cspHash}' '${reportJs.cspHash}'`,
    `style-src '${uPlotCss.cspHash}' '${reportCss.cspHash}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const r = data.rollout;
  const title = `Sluice report: ${r.service} ${r.baseline} → ${r.candidate} (${r.id}, ${data.header.outcome})`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="generator" content="sluice report">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${uPlotCss.text}</style>`,
    `<style>${reportCss.text}</style>`,
    '</head>',
    '<body>',
    `<main id="sluice-report" class="report-root"><p>${escapeHtml(title)}</p><noscript><p>This report draws its sections with JavaScript, which is off. Its data is the JSON in the page source (element sluice-report-data); <code>sluice audit --db FILE ${escapeHtml(r.id)}</code> prints the same story as text.</p></noscript></main>`,
    `<script type="application/json" id="sluice-report-data">${jsonForScript(data)}</script>`,
    `<script>${uPlotJs.text}</script>`,
    `<script>${reportJs.text}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** JSON inside a script element: `<` escaped so no string from the log can close the element or open a comment. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
