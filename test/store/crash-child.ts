// The writer the crash test kills: opens the store on argv[2] and, with a few workers at once, adds,
// promotes and removes skills in a loop. Each operation is announced ("start") before it begins and
// acknowledged ("ack") once the store resolved it; stdout to a pipe is synchronous on Linux, so what
// the parent read is exactly what the child had written when it died.
import { meta, openTestStore, sampleSkill } from './helpers.js';

const [dataDir, round] = [process.argv[2]!, process.argv[3]!];
const WORKERS = 3;

function say(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function worker(id: number, store: Awaited<ReturnType<typeof openTestStore>>): Promise<never> {
  for (let i = 0; ; i++) {
    const name = `r${round}-w${id}-n${i}`;
    const source = sampleSkill(name, '1.0.0', { 'data/notes.txt': `${name}\n`.repeat(50) });
    const status = i % 3 === 0 ? 'active' : 'draft';
    say({ start: 'add', name, status });
    await store.add(source, meta(status, source));
    say({ ack: 'add', name, status });
    if (status === 'draft' && i % 2 === 1) {
      say({ start: 'promote', name });
      await store.setStatus(name, '1.0.0', 'active');
      say({ ack: 'promote', name });
    }
    if (i % 4 === 3) {
      const victim = `r${round}-w${id}-n${i - 1}`;
      say({ start: 'remove', name: victim });
      await store.remove(victim);
      say({ ack: 'remove', name: victim });
    }
  }
}

const store = await openTestStore(dataDir);
say({ ready: true });
await Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id, store)));
