import path from 'node:path';
import { Command } from 'commander';
import { writeProject } from '../project.ts';
import { CliError, type CliDeps } from '../session.ts';

export function initCommand(deps: CliDeps, cwd: () => string): Command {
  return new Command('init')
    .description('Write satusky.toml (or satusky.<name>.toml with --config) for this directory')
    .option('--config <name>', 'write satusky.<name>.toml')
    .option('--name <name>', 'the app name (default: the directory name)')
    .option('--image <image>', 'the image to deploy')
    .option('--port <port>', 'the port the app listens on', '8080')
    .option('--cpu-request <cpu>', 'guaranteed CPU', '250m')
    .option('--cpu-limit <cpu>', 'burst CPU', '1')
    .option('--memory <memory>', 'memory, Mi or Gi', '256Mi')
    .option('--replicas <n>', 'replicas', '1')
    .option('--zone <zone>', 'the zone')
    .option('--health-path <path>', 'readiness check path')
    .option('--force', 'overwrite an existing file')
    .action(
      async (options: {
        config?: string;
        name?: string;
        image?: string;
        port: string;
        cpuRequest: string;
        cpuLimit: string;
        memory: string;
        replicas: string;
        zone?: string;
        healthPath?: string;
        force?: boolean;
      }) => {
        const dir = cwd();
        const name = (options.name ?? path.basename(dir))
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^[^a-z]+|-+$/g, '')
          .slice(0, 63);
        if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new CliError(`"${name}" is not a valid app name; pass --name`, 2);
        const port = Number(options.port);
        const replicas = Number(options.replicas);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError('--port must be a port number', 2);
        if (!Number.isInteger(replicas) || replicas < 0) throw new CliError('--replicas must be a non-negative integer', 2);
        const file = path.join(dir, options.config ? `satusky.${options.config}.toml` : 'satusky.toml');
        await writeProject(
          file,
          {
            name,
            ...(options.image ? { image: options.image } : {}),
            port,
            cpu_request: options.cpuRequest,
            cpu_limit: options.cpuLimit,
            memory: options.memory,
            replicas,
            ...(options.zone ? { zone: options.zone } : {}),
            ...(options.healthPath ? { health_path: options.healthPath } : {}),
          },
          options.force ?? false,
        );
        deps.io.out(`Wrote ${file}. Deploy with: 1ctl deploy${options.image ? '' : ' --image <image>'} --wait`);
      },
    );
}
