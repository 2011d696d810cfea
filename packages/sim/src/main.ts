// `satusky-sim`: runs one simulated cluster as its own process and writes its kubeconfig.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimCluster } from './cluster.ts';

const USAGE = `Usage: satusky-sim [options]

Starts one simulated Kubernetes cluster (API server + simulated controllers) and writes its
kubeconfig. Stops cleanly on SIGINT/SIGTERM.

Options:
  --name <name>             cluster name (default: sim)
  --zone <zone>             topology.kubernetes.io/zone of the nodes (default: the name)
  --region <region>         topology.kubernetes.io/region of the nodes
  --nodes <n>               number of nodes (default: 3)
  --host <addr>             listen address (default: 127.0.0.1)
  --port <port>             API port, 0 picks a free one (default: 0)
  --control-port <port>     control API port (default: 0)
  --data-dir <dir>          keep state, TLS material and token there across restarts
  --kubeconfig <path>       where to write the kubeconfig (default: ./<name>.kubeconfig)
  --token <token>           bearer token (default: generated, persisted with --data-dir)
  --gateway-address <addr>  address Gateway/Ingress statuses report (default: the host)
  --pod-delay-ms <ms>       scheduling/start/ready delay of simulated pods (default: 200)
  --slow-start-ms <ms>      ready delay of slow-start images (default: 5000)
  -h, --help                show this help
`;

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      zone: { type: 'string' },
      region: { type: 'string' },
      nodes: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'control-port': { type: 'string' },
      'data-dir': { type: 'string' },
      kubeconfig: { type: 'string' },
      token: { type: 'string' },
      'gateway-address': { type: 'string' },
      'pod-delay-ms': { type: 'string' },
      'slow-start-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const name = values.name ?? 'sim';
  const delay = int(values['pod-delay-ms'], 'pod-delay-ms', 200);
  const cluster = await startSimCluster({
    name,
    ...(values.zone ? { zone: values.zone } : {}),
    ...(values.region ? { region: values.region } : {}),
    nodes: int(values.nodes, 'nodes', 3),
    host: values.host ?? '127.0.0.1',
    port: int(values.port, 'port', 0),
    controlPort: int(values['control-port'], 'control-port', 0),
    ...(values['data-dir'] ? { dataDir: resolve(values['data-dir']) } : {}),
    ...(values.token ? { token: values.token } : {}),
    ...(values['gateway-address'] ? { gatewayAddress: values['gateway-address'] } : {}),
    podTimings: {
      scheduleMs: Math.round(delay / 4),
      startMs: delay,
      readyMs: delay,
      terminationMs: delay,
      slowStartMs: int(values['slow-start-ms'], 'slow-start-ms', 5000),
      crashRunMs: 500,
      crashBackoffMs: 2000,
      crashBackoffMaxMs: 30_000,
      pullBackoffMs: 2000,
      honorProbeDelays: true,
    },
  });
  const kubeconfig = resolve(values.kubeconfig ?? `${name}.kubeconfig`);
  await cluster.writeKubeconfig(kubeconfig);
  process.stdout.write(
    [
      `satusky-sim: cluster "${cluster.name}" (zone ${cluster.zone}) is running`,
      `  API:        ${cluster.url}`,
      `  control:    ${cluster.controlUrl}/_sim/info`,
      `  nodes:      ${cluster.nodeNames().join(', ')}`,
      `  kubeconfig: ${kubeconfig}`,
      '',
      `  kubectl --kubeconfig ${kubeconfig} get nodes`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`satusky-sim: ${signal} received, stopping\n`);
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`satusky-sim: stop failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`satusky-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
