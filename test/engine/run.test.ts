// What a caller of the Docker backend sees for ordinary runs: results, logs kept apart from the
// result, failures with the skill's traceback, and output decoded as the skill wrote it.
import assert from 'node:assert/strict';
import type { LogChunk } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, DEFAULT_POLICY, py, skillJob, testBackend } from '../helpers/docker.js';

const WITH_SYS_AND_LOGGING = { ...DEFAULT_POLICY, allow_imports: [...DEFAULT_POLICY.allow_imports, 'sys', 'logging'] };

describe('engine: running a skill in a fresh container', () => {
  const { backend, dataDir } = testBackend('run');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  it('counts the words of a text and returns the result', async () => {
    const outcome = await backend.run(
      skillJob(py`
        def run(inp):
            return {'words': len(inp['text'].split())}
      `, { input: { text: 'the quick brown fox' } }),
    );
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual(outcome.result, { words: 4 });
    assert.equal(outcome.error, null);
    assert.equal(outcome.exit_code, 0);
    assert.equal(outcome.logs_truncated, false);
    assert.ok(outcome.duration_ms > 0 && outcome.duration_ms < 5000, `duration ${outcome.duration_ms} ms`);
  });

  it('keeps print, stderr and logging output in the logs, never in the result', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import logging, sys
        def run(inp):
            print('to stdout')
            print('to stderr', file=sys.stderr)
            logging.getLogger('skill').warning('to logging')
            return {'answer': 42}
      `, { policy: WITH_SYS_AND_LOGGING }),
    );
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual(outcome.result, { answer: 42 });
    assert.match(outcome.logs, /to stdout\n/);
    assert.match(outcome.logs, /to stderr\n/);
    assert.match(outcome.logs, /to logging\n/);
    assert.doesNotMatch(outcome.logs, /TE-RESULT|answer/);
  });

  it('streams the log through onLog while the skill still runs', async () => {
    const chunks: { chunk: LogChunk; at: number }[] = [];
    const outcome = await backend.run(
      skillJob(py`
        import sys, time
        def run(inp):
            print('first')
            print('on stderr', file=sys.stderr)
            time.sleep(0.8)
            print('second')
            return 'done'
      `, { policy: WITH_SYS_AND_LOGGING }),
      { onLog: (chunk) => chunks.push({ chunk, at: performance.now() }) },
    );
    const finishedAt = performance.now();
    assert.equal(outcome.status, 'succeeded');
    const first = chunks.find(({ chunk }) => chunk.stream === 'stdout' && chunk.data.includes('first'));
    assert.ok(first, 'the first line was streamed');
    assert.ok(finishedAt - first.at > 500, 'the first line arrived before the skill finished');
    assert.ok(chunks.some(({ chunk }) => chunk.stream === 'stderr' && chunk.data === 'on stderr\n'));
    assert.equal(chunks.map(({ chunk }) => chunk.data).join(''), outcome.logs);
  });

  it('fails with the exception type, message and the traceback of the skill\'s own files', async () => {
    const outcome = await backend.run(
      skillJob(py`
        from helpers import parse
        def run(inp):
            return parse(inp['text'])
      `, {
        input: { text: 'abc' },
        files: { 'helpers.py': "def parse(text):\n    return int(text)\n" },
      }),
    );
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.result, null);
    assert.equal(outcome.error?.type, 'ValueError');
    assert.equal(outcome.error?.message, "invalid literal for int() with base 10: 'abc'");
    const traceback = outcome.error?.traceback ?? '';
    assert.match(traceback, /File "main\.py", line 3, in run/);
    assert.match(traceback, /File "helpers\.py", line 2, in parse\n\s+return int\(text\)/);
    assert.doesNotMatch(traceback, /harness|te_runtime|importlib/);
    assert.equal(outcome.exit_code, 1);
  });

  it('fails a result that is not JSON: a set, NaN', async () => {
    for (const value of ['{1, 2}', "float('nan')"]) {
      const outcome = await backend.run(skillJob(`def run(inp):\n    return ${value}\n`));
      assert.equal(outcome.status, 'failed', value);
      assert.equal(outcome.error?.type, 'ResultNotJSON', value);
    }
  });

  it('fails clearly when the handler is missing or the code does not parse', async () => {
    const missing = await backend.run({ ...skillJob('def main(inp):\n    return 1\n'), handler: 'run' });
    assert.equal(missing.status, 'failed');
    assert.equal(missing.error?.type, 'HandlerNotFound');
    const broken = await backend.run(skillJob('def run(inp)\n    return 1\n'));
    assert.equal(broken.status, 'failed');
    assert.equal(broken.error?.type, 'SyntaxError');
  });

  it('does not take a printed imitation of the result frame for the result', async () => {
    const outcome = await backend.run(
      skillJob(py`
        def run(inp):
            print('\n\x1eTE-RESULT 0123456789abcdef0123456789abcdef {"ok":true,"result":"forged"}')
            return 'real'
      `),
    );
    assert.equal(outcome.status, 'succeeded');
    assert.equal(outcome.result, 'real');
    assert.match(outcome.logs, /"result":"forged"/);
  });

  it('turns invalid UTF-8 into U+FFFD and joins characters split across writes', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import sys, time
        def write(stream, data):
            stream.buffer.write(data)
            stream.buffer.flush()
            time.sleep(0.15)  # separate chunks on the attach stream
        def run(inp):
            write(sys.stdout, b'bad \xff\xfe bytes\n')
            write(sys.stdout, b'split \xc3')
            write(sys.stdout, b'\xa9 and \xf0\x9f')
            write(sys.stdout, b'\x98\x80 done\n')
            write(sys.stderr, b'err \xe2\x82')
            write(sys.stderr, b'\xac\n')
            return 'ok'
      `, { policy: WITH_SYS_AND_LOGGING }),
    );
    assert.equal(outcome.status, 'succeeded');
    assert.match(outcome.logs, /bad \uFFFD\uFFFD bytes\n/);
    assert.match(outcome.logs, /split é and 😀 done\n/);
    assert.match(outcome.logs, /err €\n/);
  });
});
