import type { Command } from 'commander';
import { resolveDaemonConfig } from '../../config/daemonConfig.js';
import { defaultTokenFile, ensureTokenFile } from '../../config/token.js';
import { Daemon } from '../../Daemon.js';
import { createLogger } from '../../logger.js';
import type { CliIo } from '../main.js';

/** `sluice daemon`: runs the daemon in the foreground until SIGINT/SIGTERM. */
export function registerDaemon(program: Command, io: CliIo): void {
  program
    .command('daemon')
    .description('Run the Sluice daemon: HTTP API, ingestion, scheduler, reconciler (flag > env > config file > default)')
    .option('--db <file>', 'SQLite event log (env SLUICE_DB; default .sluice/sluice.db)')
    .option('--listen <host:port>', 'address to listen on (env SLUICE_LISTEN; default 127.0.0.1:7400)')
    .option('--token-file <file>', 'bearer token for mutating requests; created with a random token if missing (env SLUICE_TOKEN_FILE; default <db dir>/token)')
    .option('--config <file>', 'YAML or JSON config file with the same settings (env SLUICE_CONFIG)')
    .option('--open-reads', 'serve GET endpoints and /metrics without the token (env SLUICE_OPEN_READS)')
    .option('--allow-non-loopback', 'allow a --listen address reachable from other machines (env SLUICE_ALLOW_NON_LOOPBACK)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env SLUICE_LOG_LEVEL; default info)')
    .option('--tick-ms <ms>', 'scheduler tick (env SLUICE_TICK_MS; default 250)')
    .option('--window-grace-ms <ms>', 'how long after its end a window still takes samples (env SLUICE_WINDOW_GRACE_MS; default 500)')
    .option('--read-only', 'inspect a log without writing: serve reads, refuse writes, drive no adapter — also for a log whose chain is broken (env SLUICE_READ_ONLY)')
    .option('--chain-key-file <file>', 'HMAC key of the keyed chain, at least 32 bytes (env SLUICE_CHAIN_KEY_FILE; default: unkeyed SHA-256 chain)')
    .option('--window-ms-min <ms>', 'shortest rollout window accepted, 100–1000, for tests and demos (env SLUICE_WINDOW_MS_MIN; default 1000)')
    .option('--xds-listen <host:port>', 'serve xDS (ADS) for the envoy adapter and the Envoy access-log service there; loopback only unless --allow-non-loopback (env SLUICE_XDS_LISTEN; default off)')
    .option('--xds-tls-cert <file>', 'PEM certificate chain of the xDS server; with --xds-tls-key it serves TLS (env SLUICE_XDS_TLS_CERT)')
    .option('--xds-tls-key <file>', 'PEM private key of --xds-tls-cert (env SLUICE_XDS_TLS_KEY)')
    .option('--xds-tls-client-ca <file>', 'PEM CA bundle; xDS clients must present a certificate it signed (mutual TLS) (env SLUICE_XDS_TLS_CLIENT_CA)')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      // Everything the daemon creates — the log and its -wal/-shm/-journal files (SQLite gives them the log's mode),
      // the lock, the token file and its directory — is readable by its user only: the log holds every decision and
      // sample. Set before any file is opened.
      process.umask(0o077);
      const config = resolveDaemonConfig({
        flags: {
          db: flags.db,
          listen: flags.listen,
          tokenFile: flags.tokenFile,
          openReads: flags.openReads,
          allowNonLoopback: flags.allowNonLoopback,
          logLevel: flags.logLevel,
          tickMs: flags.tickMs,
          windowGraceMs: flags.windowGraceMs,
          readOnly: flags.readOnly,
          chainKeyFile: flags.chainKeyFile,
          windowMsMin: flags.windowMsMin,
          xdsListen: flags.xdsListen,
          xdsTlsCert: flags.xdsTlsCert,
          xdsTlsKey: flags.xdsTlsKey,
          xdsTlsClientCa: flags.xdsTlsClientCa,
        },
        env: process.env,
        configFile: flags.config as string | undefined,
      });
      const tokenFile = config.tokenFile ?? defaultTokenFile(config.db);
      const { token, created } = ensureTokenFile(tokenFile);
      const logger = createLogger(config.logLevel);
      if (created) logger.info({ tokenFile }, 'created a new API token file');
      const daemon = await Daemon.start({ config: { ...config, tokenFile }, token, logger });
      io.err(`sluice daemon listening on http://${daemon.address} (db ${config.db}, token ${tokenFile})${daemon.xdsAddress ? `, xDS on ${daemon.xdsAddress}` : ''}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          logger.info({ signal }, 'stopping');
          void daemon.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
