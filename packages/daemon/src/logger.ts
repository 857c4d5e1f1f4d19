import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * The daemon's logger: JSON lines on stdout (or fd 2, or a file), level set explicitly, errors serialised with
 * their code. Decisions are logged one line each with the rollout id (decisionLog.ts).
 */
export function createLogger(level: LevelWithSilent, destination: 1 | 2 | string = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice-daemon' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.err },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous writes: a decision's log line is out before the next decision, and none is lost at exit.
    pino.destination({ dest: destination, sync: true, ...(typeof destination === 'string' ? { mkdir: true } : {}) }),
  );
}
