import type { Command } from 'commander';
import type { EventLog, RolloutSpec } from '@sluice/core';
import { renameSync, writeFileSync } from 'node:fs';
import { buildReportData } from '../../report/reportData.js';
import { renderReportHtml } from '../../report/renderReport.js';
import type { ReportData } from '../../report/reportTypes.js';
import { formatMs } from '../audit/entryText.js';
import { offlineUsageError, openLogReadonly, requireRollout } from '../audit/offlineLog.js';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';

/**
 * `sluice report --db FILE ID [--out FILE.html] [--spec OTHER]`: one self-contained HTML page about a rollout, made
 * from the log alone and read-only (docs/report.md). `--out -` writes the page to stdout. Exit 0 when the page was
 * written, 2 for a bad file, id, spec or output path.
 */
export function registerReport(program: Command, io: CliIo): void {
  program
    .command('report')
    .description('Write a self-contained HTML report of one rollout from the log: timeline, gates, stages, evidence')
    .argument('<id>', 'rollout id')
    .requiredOption('--db <file>', 'SQLite event log file (opened read-only)')
    .option('--out <file>', 'where to write the HTML page ("-" for stdout); default <id>.report.html in the current directory')
    .option('--spec <file>', 'also re-judge the rollout with this spec and show where the outcomes part')
    .action((id: string, options: ReportOptions) => runReport(id, options, io));
}

interface ReportOptions {
  db: string;
  out?: string;
  spec?: string;
}

async function runReport(id: string, options: ReportOptions, io: CliIo): Promise<void> {
  // The spec reader (and YAML behind it) is loaded only for --spec.
  const whatIf = options.spec === undefined ? undefined : { spec: (await import('../specFile.js')).readSpecFile(options.spec, 'report', io).spec as RolloutSpec, file: options.spec };
  let log: EventLog;
  try {
    log = openLogReadonly(options.db);
  } catch (error) {
    offlineUsageError('report', options.db, false, io, error);
  }
  let data: ReportData;
  try {
    // One read transaction: a live daemon appending to the file does not make the report's parts disagree.
    data = log.snapshot(() => {
      requireRollout(log, id);
      return buildReportData(log, id, whatIf ? { whatIf } : {});
    });
  } catch (error) {
    offlineUsageError('report', options.db, false, io, error);
  } finally {
    log.close();
  }
  const html = renderReportHtml(data);
  if (options.out === '-') {
    io.out(html);
    return;
  }
  const out = options.out ?? `${safeFileName(id)}.report.html`;
  try {
    // Written beside the target and renamed, so a reader never sees half a page.
    const partial = `${out}.partial`;
    writeFileSync(partial, html);
    renameSync(partial, out);
  } catch (error) {
    io.err(`sluice report: cannot write ${out}: ${(error as Error).message} — pass --out with a writable path\n`);
    throw new CliExit(EXIT.usage);
  }
  const ending = data.header.ending;
  const took = ending?.decisionToVerifiedMs == null ? '' : `, ${formatMs(ending.decisionToVerifiedMs)} from decision to verified ${ending.finalWeightPercent}%`;
  io.out(`wrote ${out} (${Math.ceil(Buffer.byteLength(html) / 1024)} KB): ${data.header.reason}${took}\n`);
  if (data.whatIf) io.out(`re-judged with ${data.whatIf.specFile}: ${data.whatIf.comparison.sentence}\n`);
}

/** A rollout id as a file name: ids are free text, a path separator in one must not pick the directory. */
function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'rollout';
}
