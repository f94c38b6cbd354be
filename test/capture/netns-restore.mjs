// Runs apply.ts's restoreTables inside a network namespace (the test process itself stays outside) and prints
// {"ok":true} or {"error": message}. Usage: node netns-restore.mjs '{"family":"IPv4","tables":{"nat":[...]}}'.
import { register } from 'tsx/esm/api';

register();
const { restoreTables } = await import('../../src/capture/apply.ts');
const { family, tables } = JSON.parse(process.argv[2] ?? '{}');
try {
  await restoreTables(family, tables);
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: err.message })}\n`);
}
