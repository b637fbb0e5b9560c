// How a run's raw attach stream becomes logs and a result, without an engine: Docker's multiplexed
// framing cut anywhere, UTF-8 cut anywhere, the result frame cut anywhere, and the output limit.
import assert from 'node:assert/strict';
import type { StreamName } from '../../server/src/engine/docker/demux.js';
import { StreamDemuxer } from '../../server/src/engine/docker/demux.js';
import { FRAME_PREFIX, jsonTextDepth, parseFrame } from '../../server/src/engine/docker/frame.js';
import { classify } from '../../server/src/engine/docker/outcome.js';
import { RunOutput } from '../../server/src/engine/docker/output.js';
import type { LogChunk } from '../../server/src/engine/index.js';

const NONCE = '0123456789abcdef0123456789abcdef';

/** Docker's framing: 8-byte header (stream, 0, 0, 0, length) then the payload. */
function muxed(stream: StreamName, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Feeds `bytes` through demuxer and output in pieces of `size` bytes, as a socket might deliver them. */
function deliver(bytes: Buffer, size: number, limitBytes = 1 << 20): { output: RunOutput; chunks: LogChunk[]; stopped: boolean } {
  const chunks: LogChunk[] = [];
  const output = new RunOutput(limitBytes, NONCE, (chunk) => chunks.push(chunk), (error) => assert.fail(String(error)));
  const demuxer = new StreamDemuxer((stream, payload) => output.push(stream, payload));
  let stopped = false;
  for (let at = 0; at < bytes.length && !stopped; at += size) stopped = !demuxer.push(bytes.subarray(at, at + size));
  return { output, chunks, stopped };
}

const frame = (json: string) => `${FRAME_PREFIX}${NONCE} ${json}\n`;

describe('engine: from the attach stream to logs and a result', () => {
  const stream = Buffer.concat([
    muxed('stdout', 'hello wörld\n'),
    muxed('stderr', Buffer.from('warn \xe2\x82\xac\n', 'latin1')),
    muxed('stdout', 'no newline at the end'),
    muxed('stdout', frame('{"ok":true,"result":{"words":2}}')),
  ]);

  for (const size of [1, 3, 7, 8, 9, 64, stream.length]) {
    it(`finds the same logs and result whatever the chunk size (${size} bytes)`, () => {
      const { output, chunks } = deliver(stream, size);
      const collected = output.finish();
      assert.equal(collected.logs, 'hello wörld\nwarn €\nno newline at the end');
      assert.equal(chunks.map((chunk) => chunk.data).join(''), collected.logs);
      assert.ok(chunks.filter((chunk) => chunk.stream === 'stderr').every((chunk) => 'warn €\n'.includes(chunk.data)));
      assert.deepEqual(parseFrame(collected.frame ?? ''), { ok: true, result: { words: 2 } });
      assert.equal(collected.logsTruncated, false);
    });
  }

  it('passes on a whole line at once, holding back nothing but a possible frame start', () => {
    const { chunks } = deliver(Buffer.concat([muxed('stdout', 'line one\n'), muxed('stdout', 'tail \u001eTE-RES')]), 1024);
    assert.deepEqual(chunks, [
      { stream: 'stdout', data: 'line one\n' },
      { stream: 'stdout', data: 'tail ' },
    ]);
  });

  it('keeps a record separator that starts no frame in the log', () => {
    const { output } = deliver(muxed('stdout', 'a \u001e b \u001eTE-RESULT wrongnonce {}\n'), 5);
    const collected = output.finish();
    assert.equal(collected.logs, 'a \u001e b \u001eTE-RESULT wrongnonce {}\n');
    assert.equal(collected.frame, null);
  });

  it('turns invalid and unfinished UTF-8 into U+FFFD', () => {
    const { output } = deliver(Buffer.concat([muxed('stdout', Buffer.from([0x61, 0xff, 0x62, 0x0a])), muxed('stderr', Buffer.from([0xe2, 0x82]))]), 2);
    assert.equal(output.finish().logs, 'a\uFFFDb\n\uFFFD');
  });

  it('stops at output_bytes, cuts the log there and reports it', () => {
    const flood = Buffer.concat(Array.from({ length: 20 }, () => muxed('stdout', 'x'.repeat(99) + '\n')));
    const { output, stopped } = deliver(flood, 256, 1000);
    const collected = output.finish();
    assert.equal(stopped, true);
    assert.equal(output.exceeded, true);
    assert.equal(collected.logs.length, 1000);
    assert.equal(collected.logsTruncated, true);
  });

  it('reads error frames, and refuses frames that break the protocol', () => {
    assert.deepEqual(parseFrame('{"ok":false,"error":{"type":"ValueError","message":"bad","traceback":"T"}}'), {
      ok: false,
      error: { type: 'ValueError', message: 'bad', traceback: 'T' },
    });
    for (const broken of ['', 'not json', '[]', '{"ok":true}', '{"ok":false,"error":{"type":1,"message":"m"}}']) {
      assert.equal(parseFrame(broken), null, broken);
    }
  });
});

describe('engine: results are bounded like output', () => {
  const bounds = { maxBytes: 4096, maxDepth: 8 };
  const limits = { timeout_ms: 5000, memory_mb: 128, cpus: 1, pids: 64, output_bytes: 1 << 20 };
  const outcomeOf = (frameText: string, resultBounds = bounds) =>
    classify({ limits, output: { logs: '', logsTruncated: false, frame: frameText, skillMs: 1 }, exitCode: null, killedFor: null, oomKilled: false, durationMs: 1, resultBounds });

  it('fails a result nested 300,000 deep as ResultTooDeep, without parsing or serialising it', () => {
    const deep = '['.repeat(300_000) + ']'.repeat(300_000);
    const outcome = outcomeOf(`{"ok":true,"result":${deep}}`, { maxBytes: 1 << 20, maxDepth: 128 });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.result, null);
    assert.equal(outcome.error?.type, 'ResultTooDeep');
    assert.doesNotThrow(() => JSON.stringify(outcome));
  });

  it('passes a result at the depth bound and fails one a level deeper', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    assert.equal(outcomeOf(`{"ok":true,"result":${nested(8)}}`).status, 'succeeded');
    assert.equal(outcomeOf(`{"ok":true,"result":${nested(9)}}`).error?.type, 'ResultTooDeep');
  });

  it('counts brackets inside strings as text, escaped quotes included', () => {
    const outcome = outcomeOf(`{"ok":true,"result":{"s":"[[[[[[[[[[[[\\"[[[[[[[[[[{{{{{{{{"}}`);
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual(outcome.result, { s: '[[[[[[[[[[[["[[[[[[[[[[{{{{{{{{' });
    assert.equal(jsonTextDepth('"[[[", [["]"]]', 100), 2);
  });

  it('fails a result over the size bound as ResultTooLarge', () => {
    const outcome = outcomeOf(`{"ok":true,"result":"${'x'.repeat(5000)}"}`);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error?.type, 'ResultTooLarge');
  });
});
