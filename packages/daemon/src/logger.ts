import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * The daemon's logger: JSON lines on stdout (or the given destination), level set explicitly, errors serialised with
 * their code. Decisions are logged one line each with the rollout id (decisionLog.ts).
 */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice-daemon' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.err },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: destinationFd(destination), sync: true }),
  );
}

function destinationFd(destination: NodeJS.WritableStream): number {
  if (destination === process.stderr) return 2;
  return 1;
}
