#!/usr/bin/env node
// The `biplane` command: runs the compiled CLI in dist/ (`npm run build`; `npm ci` and `npm start` build it first).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('main.js')) {
    console.error("biplane: dist/ is missing; run 'npm run build' first");
    process.exit(1);
  }
  throw err;
}
process.exitCode = await cli.main(process.argv.slice(2));
