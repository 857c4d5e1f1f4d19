/**
 * Child process of EventLog.crash.int.test.ts: appends batches, prints "acked N" after each `transaction` returns,
 * and kills itself with SIGKILL (no exit handlers, no close) right after the last acknowledgement.
 *   node --import tsx --conditions=sluice-source crashAppender.fixture.ts FILE BATCHES
 */
import { EventLog } from './EventLog.js';

const [file, batchesText] = process.argv.slice(2) as [string, string];
const log = EventLog.open(file);
let position = log.nextPosition('crash');
for (let batch = 0; batch < Number(batchesText); batch++) {
  log.transaction(() => {
    for (let i = 0; i < 10; i++) {
      position += log.append('crash', position, [{ type: 'health.checked', at: 1_000 + position, data: { ok: true, detail: `batch ${batch}` } }]).length;
    }
  });
  process.stdout.write(`acked ${position}\n`);
}
process.kill(process.pid, 'SIGKILL');
