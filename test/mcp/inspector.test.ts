// The MCP Inspector's CLI (`mcp-inspector --cli`, tools/node_modules) lists the service's tools over
// Streamable HTTP. 0.15.0 is the last Inspector that runs on Node 20 and it cannot send headers,
// so the key is added by a small forwarding proxy, as an MCP gateway in front of the service would.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { startTestService, type TestService } from '../helpers/service.js';

const INSPECTOR = path.join(PROJECT_ROOT, 'tools/node_modules/.bin/mcp-inspector');

/** Forwards every request to `target` with `Authorization: Bearer <key>` added. */
function keyAddingProxy(target: URL, key: string): http.Server {
  return http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host, authorization: `Bearer ${key}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
}

describe('MCP Inspector CLI', function () {
  this.timeout(120_000);
  let t: TestService;
  let proxy: http.Server;

  before(async function () {
    const port = await freePort();
    t = await startTestService({ server: { host: '127.0.0.1', port } });
    await t.service.listen();
    proxy = keyAddingProxy(new URL(`http://127.0.0.1:${port}`), t.keys.client);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });

  after(async function () {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await t.close();
  });

  it('lists the active skills as tools', async function () {
    const { port } = proxy.address() as AddressInfo;
    const { stdout } = await promisify(execFile)(INSPECTOR, ['--cli', `http://127.0.0.1:${port}/mcp`, '--transport', 'http', '--method', 'tools/list'], { cwd: PROJECT_ROOT });
    const { tools } = JSON.parse(stdout) as { tools: Array<{ name: string; inputSchema: { required?: string[] } }> };
    const wordCount = tools.find((tool) => tool.name === 'word-count');
    assert.ok(wordCount, stdout.slice(0, 400));
    assert.deepEqual(wordCount.inputSchema.required, ['text']);
  });
});
