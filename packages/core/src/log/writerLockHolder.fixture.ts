import { EventLog } from './EventLog.js';
import { healthEvent } from './testing.js';

/** Test fixture (writerLock.int.test.ts): opens the log for writing, appends one event, says so, and holds the lock. */
const file = process.argv[2]!;
const log = EventLog.open(file, { writer: 'writer lock fixture' });
log.append('held', 0, [healthEvent(1)]);
process.stdout.write('holding\n');
// Bounded: the test kills it long before this.
setTimeout(() => log.close(), 60_000);
