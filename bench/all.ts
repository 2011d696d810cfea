// bench/all.ts — every benchmark in sequence with modest defaults, `npm run bench`.
//
// Runs api, sim, world, fanout, failover and scale (quick), each in its own process, one after the
// other, and prints each one's output as it comes. Settings already in the environment win over the
// modest defaults below; `npm run bench:<name>` runs one benchmark with its full defaults.
// Stops at the first benchmark that fails unless BENCH_KEEP_GOING=1.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const benchmarks: { name: string; file: string; env: Record<string, string>; args?: string[] }[] = [
  { name: 'api', file: here('./api.ts'), env: { BENCH_DURATION: '3' } },
  { name: 'sim', file: here('./sim.ts'), env: { BENCH_SIZES: '1000', BENCH_DEPLOYMENTS: '1000' } },
  { name: 'world', file: here('./world.ts'), env: { BENCH_DURATION: '3', BENCH_STARTS: '3', BENCH_DNS_QUERIES: '5000' } },
  { name: 'fanout', file: here('./fanout.ts'), env: { BENCH_DEPLOYS: '20', BENCH_IDLE_APPS: '150', BENCH_IDLE_SECONDS: '30' } },
  { name: 'failover', file: here('./failover.ts'), env: { BENCH_TRIALS: '20' } },
  { name: 'scale', file: here('./scale.ts'), env: {}, args: ['--quick'] },
];

const keepGoing = process.env.BENCH_KEEP_GOING === '1';
const summary: string[] = [];
let failed = false;
for (const b of benchmarks) {
  const env = { ...b.env, ...process.env };
  const started = performance.now();
  console.log(`\n======== ${b.name} (load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')}) ========\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [b.file, ...(b.args ?? [])], { stdio: 'inherit', env });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  summary.push(`${b.name.padEnd(9)} ${code === 0 ? 'ok    ' : `FAILED (${code})`} ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (code !== 0) {
    failed = true;
    if (!keepGoing) break;
  }
}
console.log(`\n======== summary ========\n${summary.join('\n')}`);
process.exit(failed ? 1 : 0);
