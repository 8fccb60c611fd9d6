/**
 * Key rotation (docs/adr/0019): reseals every profile and mailbox credential under the active key, or counts them.
 *   node dist/scripts/reseal.js [--check] [--batch 100]
 * Uses the same configuration as the API (Kafka, the keyring with the old and the new key).
 */
import { runResealCli } from '../apps/api/src/keys/reseal-cli';

runResealCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => {
    process.exitCode = code;
    // Kafka clients may keep timers after disconnecting; the run is over.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
