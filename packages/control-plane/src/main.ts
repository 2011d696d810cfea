import { parseArgs } from 'node:util';
import { bootstrapAdmin } from './bootstrap.ts';
import { ConfigError, loadConfig, loadDatabaseConfig, type ConfigInput } from './config.ts';
import { openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { parseDevZones, startDev } from './dev.ts';
import { createLogger } from './logger.ts';
import { routingCommand } from './routing-cli.ts';
import { startControlPlane } from './server.ts';

const USAGE = `Usage: satusky <command> [options]

Commands:
  dev                 the control plane on embedded PGlite (what \`npm start\` runs)
  serve               the control plane on PostgreSQL (DATABASE_URL)
  db migrate          apply database migrations and exit
  routing status      how custom domains are routed (through the API, as a platform admin)
  routing migrate     move Ingress-routed custom domains to HTTPRoutes without a gap [--wait]

Options:
  --host HOST             listen address (default 127.0.0.1)
  --port PORT             listen port (dev 4600, serve 8080)
  --public-url URL        the URL clients use to reach the API
  --database-url URL      PostgreSQL connection string (env DATABASE_URL)
  --data-dir DIR          local state for dev: PGlite data, keys, logs (default .satusky)
  --config FILE           a TOML config file (env SATUSKY_CONFIG)
  --log-level LEVEL       fatal|error|warn|info|debug|trace|silent
  --profile NAME          (dev) the 1ctl profile to write (default local); (routing) the profile to use
  --zones A,B             (dev) simulated zones, e.g. sim-kul-1:Kuala Lumpur,sim-bki-1:Borneo (env SATUSKY_DEV_ZONES)
  --api-url URL           (routing) the API (default: the 1ctl profile's)
  --token TOKEN           (routing) a platform admin's token (default: the 1ctl profile's)
  --wait                  (routing migrate) wait until every domain has moved
  -h, --help              this help
`;

function flagsFrom(values: Record<string, string | boolean | undefined>): ConfigInput & { configFile?: string } {
  const flags: ConfigInput & { configFile?: string } = {};
  if (typeof values.host === 'string') flags.host = values.host;
  if (typeof values.port === 'string') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('--port must be a port number');
    flags.port = port;
  }
  if (typeof values['public-url'] === 'string') flags.publicUrl = values['public-url'];
  if (typeof values['database-url'] === 'string') flags.databaseUrl = values['database-url'];
  if (typeof values['data-dir'] === 'string') flags.dataDir = values['data-dir'];
  if (typeof values['log-level'] === 'string') flags.logLevel = values['log-level'];
  if (typeof values.config === 'string') flags.configFile = values.config;
  if (typeof values.zones === 'string') flags.devZones = values.zones;
  return flags;
}

function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`satusky: error during shutdown after ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'public-url': { type: 'string' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      profile: { type: 'string' },
      'api-url': { type: 'string' },
      token: { type: 'string' },
      wait: { type: 'boolean' },
      zones: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const flags = flagsFrom(values);

  switch (command) {
    case 'dev': {
      const config = await loadConfig('dev', flags);
      let zones;
      try {
        zones = config.dev.zones ? parseDevZones(config.dev.zones) : undefined;
      } catch (error) {
        throw new ConfigError((error as Error).message);
      }
      const dev = await startDev(config, {
        profileName: values.profile ?? 'local',
        env: process.env,
        print: (line) => console.log(line),
        ...(zones ? { zones } : {}),
        worldDnsPort: config.dev.worldDnsPort,
      });
      onShutdown(() => dev.close());
      return -1;
    }
    case 'serve': {
      const config = await loadConfig('serve', flags);
      const logger = createLogger({ level: config.logLevel });
      const controlPlane = await startControlPlane(config, { logger });
      logger.info({ url: controlPlane.url }, 'satusky control plane listening');
      // First start only: the platform admin and a token, printed once (it is stored hashed).
      const boot = await bootstrapAdmin(controlPlane.database, {
        adminEmail: config.adminEmail,
        orgName: 'Platform',
        orgSlug: 'platform',
        now: new Date(),
      });
      if (boot.token) {
        console.log(`Bootstrap admin token (shown once): ${boot.token.token}`);
        console.log(`  user ${boot.adminEmail}, organization ${boot.organization.slug}; log in with: 1ctl auth login --api-url ${controlPlane.url ?? config.publicUrl} --token <token>`);
      }
      onShutdown(() => controlPlane.close());
      return -1;
    }
    case 'db': {
      if (rest[0] !== 'migrate') throw new ConfigError('usage: satusky db migrate [--database-url URL | --data-dir DIR]');
      const database = await openDatabase(await loadDatabaseConfig(flags));
      try {
        const result = await migrate(database);
        console.log(
          result.applied.length > 0
            ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
            : 'database is up to date',
        );
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'routing': {
      try {
        return await routingCommand(rest[0], {
          ...(values['api-url'] ? { apiUrl: values['api-url'] } : {}),
          ...(values.token ? { token: values.token } : {}),
          ...(values.profile ? { profile: values.profile } : {}),
          wait: values.wait === true,
          timeoutMs: 300_000,
          env: process.env,
          print: (text) => console.log(text),
        });
      } catch (error) {
        console.error(`satusky: ${(error as Error).message}`);
        return (error as Error).message.startsWith('usage:') ? 2 : 1;
      }
    }
    default:
      process.stderr.write(`satusky: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`satusky: ${(error as Error).message}`);
      process.exit(2);
    }
    console.error('satusky: failed to start:', error);
    process.exit(1);
  },
);
