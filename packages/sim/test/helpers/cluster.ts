// Test clusters fail loudly: stored objects are deep-frozen (an accidental mutation throws inside
// a controller) and every warning or error the simulator logs is collected so the suite can
// assert there were none.

import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../src/index.ts';

export interface TestCluster {
  cluster: SimCluster;
  /** Warnings and errors logged by the simulator (reconcile failures...). */
  problems: string[];
}

export async function startTestCluster(options: Partial<SimClusterOptions> & { name: string }): Promise<TestCluster> {
  const problems: string[] = [];
  const cluster = await startSimCluster({
    nodes: 3,
    host: '127.0.0.1',
    port: 0,
    strictImmutability: true,
    logger: (level, message, data) => {
      if (level === 'warn' || level === 'error') problems.push(`${level}: ${message} ${JSON.stringify(data ?? {})}`);
    },
    ...options,
  });
  return { cluster, problems };
}
