// POST /v1/skills/run — JSON answer, or NDJSON (log lines as they happen, then the result) when the
// client asks for application/x-ndjson. POST /v1/skills/generate — the Make-Tool pattern alone.
import { Router, type Response } from 'express';
import type { Contracts } from '../../contracts/index.js';
import type { LogChunk } from '../../engine/types.js';
import type { GenerateService, IntentRunResult } from '../../service/generate.js';
import type { RunService } from '../../service/run.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export interface RunRouterDeps {
  runs: RunService;
  generation: GenerateService;
  contracts: Contracts;
}

// A streaming reader that lets this much pile up unread is cut off, and its run cancelled: the
// server never holds more than this of one run's output for a slow client.
const MAX_UNREAD_BYTES = 1024 * 1024;

/** Writes NDJSON lines; the headers go out with the first one, so errors before it keep their status. */
function ndjsonWriter(res: Response): (line: object) => void {
  return (line) => {
    if (res.destroyed) return;
    if (!res.headersSent) res.status(200).type('application/x-ndjson');
    res.write(JSON.stringify(line) + '\n');
    if (res.writableLength > MAX_UNREAD_BYTES) res.destroy();
  };
}

/** Aborted when the client goes away before its answer is complete (a disconnect, or a reader cut off). */
function callerGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function createRunRouter(deps: RunRouterDeps): Router {
  const router = Router();

  router.post('/v1/skills/run', requireRole('client'), async (req, res) => {
    const ctx = context(res);
    const call = { actor: ctx.actor, requestId: ctx.requestId };
    const request = await deps.runs.parse(req.body, call);
    const streaming = req.accepts(['application/json', 'application/x-ndjson']) === 'application/x-ndjson';
    const writeLine = ndjsonWriter(res);
    const options = { signal: callerGone(res), onLog: streaming ? (chunk: LogChunk) => writeLine({ type: 'log', ...chunk }) : undefined };

    const outcome: IntentRunResult = request.intent !== undefined
      ? await deps.generation.runIntent({ ...request, intent: request.intent }, call, options)
      : { kind: 'ran', response: await deps.runs.run(request, call, options) };
    if (res.destroyed) return;
    if (outcome.kind === 'stored') {
      res.status(202).json(outcome.body);
    } else if (streaming) {
      writeLine({ type: 'result', ...outcome.response });
      res.end();
    } else {
      res.json(outcome.response);
    }
  });

  router.post('/v1/skills/generate', requireRole('author'), async (req, res) => {
    const { intent, name } = deps.contracts.assert<{ intent: string; name?: string }>('generate_skill.json', req.body);
    const ctx = context(res);
    const generated = await deps.generation.generate(intent, name, { actor: ctx.actor, requestId: ctx.requestId });
    res.status(generated.skill.status === 'pending_review' ? 202 : 201).json(generated);
  });

  return router;
}
