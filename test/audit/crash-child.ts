// Child process of crash.test.ts: records events with several concurrent callers until it is
// killed, printing `ack <request_id>` only after each record() has resolved. Stdout to a pipe is
// synchronous on Linux, so every ack the parent reads was acknowledged before the kill.
import { createAuditLog } from '../../server/src/audit/index.js';

const [dataDir, rotateBytes, runTag] = process.argv.slice(2);
if (!dataDir || !rotateBytes || !runTag) throw new Error('usage: crash-child <data_dir> <rotate_bytes> <run_tag>');

const log = await createAuditLog({ dataDir, rotateBytes: Number(rotateBytes) });
process.stdout.write('ready\n');
let next = 0;
// Large details make each batch a large write, so a kill can land in the middle of one.
const padding = 'x'.repeat(1500);
const caller = async (): Promise<void> => {
  for (;;) {
    const requestId = `${runTag}-${next++}`;
    await log.record({ event: 'run', actor: 'crash', request_id: requestId, skill: 'word-count', outcome: 'succeeded', details: { padding } });
    process.stdout.write(`ack ${requestId}\n`);
  }
};
await Promise.all(Array.from({ length: 6 }, caller));
