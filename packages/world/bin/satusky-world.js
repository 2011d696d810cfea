#!/usr/bin/env node
// Runs the TypeScript entry natively on Node 24 (type stripping). When started by an older Node
// (the system one, say), re-executes with the Node 24 that the workspace pins through its `node`
// dev dependency, so `npx satusky-world` works whatever `node` is first on the PATH.
import { runEntry } from '../../../scripts/launch.js';

await runEntry(new URL('../src/cli/main.ts', import.meta.url));
