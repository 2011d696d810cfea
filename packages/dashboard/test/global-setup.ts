import { buildDashboard, needsBuild } from '../build.ts';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by this setup: null when dist/ is current, else why it could not be built. */
    dashboardBuildError: string | null;
  }
}

/**
 * Runs for every vitest run in the workspace. A dashboard that does not build must fail the
 * dashboard's own tests, not everyone's: the error is handed to them through `inject`.
 */
export default async function setup(project: TestProject): Promise<void> {
  let failure: string | null = null;
  try {
    if (await needsBuild()) {
      const started = Date.now();
      await buildDashboard();
      console.log(`dashboard: built packages/dashboard/dist in ${Date.now() - started} ms`);
    }
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    console.error(`dashboard: building packages/dashboard/dist failed; its browser tests will fail: ${failure}`);
  }
  project.provide('dashboardBuildError', failure);
}
