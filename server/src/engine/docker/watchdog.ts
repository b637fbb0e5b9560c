// The orphan watchdog: a small process the service starts beside itself (DockerBackend's
// startWatchdog, for `npm start`), holding a pipe from it. When the pipe closes — the service was
// SIGKILLed, or crashed — it removes every container still labelled with the service's instance:
// the ones a run or the pool had, and the ones created but never started, which no harness clock
// can end. A service that stops cleanly removes its containers itself and then kills the watchdog,
// so the pipe never closes on a watchdog that has work to do.
// It imports nothing of the service, so it stays small.
//
// argv: <engine socket> <label filter, key=value>
import http from 'node:http';

// A create the service sent just before it died may still complete after the first sweep.
const SWEEPS_AFTER_MS = [0, 2000, 5000];
const REQUEST_TIMEOUT_MS = 5000;

const [socketPath, label] = process.argv.slice(2);

function engine(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath, method, path, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.once('timeout', () => request.destroy(new Error(`the engine did not answer ${method} ${path}`)));
    request.once('error', reject);
    request.end();
  });
}

async function sweep(): Promise<void> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const listed = await engine('GET', `/containers/json?all=1&filters=${filters}`);
  if (listed.status !== 200) throw new Error(`listing containers answered ${listed.status}`);
  const ids = (JSON.parse(listed.body) as Array<{ Id: string }>).map((container) => container.Id);
  // 404: gone already; 409: the engine is removing it itself (AutoRemove).
  await Promise.all(ids.map((id) => engine('DELETE', `/containers/${id}?force=1&v=1`)));
}

async function sweepAll(): Promise<void> {
  let waited = 0;
  for (const at of SWEEPS_AFTER_MS) {
    await new Promise((resolve) => setTimeout(resolve, at - waited));
    waited = at;
    await sweep().catch((error: unknown) => process.stderr.write(`tool-executor watchdog: ${String(error)}\n`));
  }
}

if (!socketPath || !label?.includes('=')) {
  process.stderr.write('tool-executor watchdog: usage: watchdog.js <engine socket> <label key=value>\n');
  process.exit(2);
}
let swept = false;
const orphaned = (): void => {
  if (swept) return;
  swept = true;
  void sweepAll().finally(() => process.exit(0));
};
process.stdin.resume();
process.stdin.once('end', orphaned);
process.stdin.once('error', orphaned);
