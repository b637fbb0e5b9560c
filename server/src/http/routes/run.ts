// POST /v1/skills/run — JSON answer, or NDJSON (log lines as they happen, then the result) when the
// client asks for application/x-ndjson. POST /v1/skills/generate — the Make-Tool pattern alone.
// POST /v1/runs and GET /v1/runs/{id} — the same run, queued, followed by its id.
import type { Response } from 'express';
import type { LogChunk } from '../../engine/index.js';
import type { AsyncRuns, GenerateService, IntentRunResult, RunService } from '../../service/index.js';
import { JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE } from '../api.js';
import { ANSWERED, type RouteHandlers } from '../router.js';

export interface RunHandlerDeps {
  runs: RunService;
  generation: GenerateService;
  asyncRuns: AsyncRuns;
}

// A streaming reader that lets this much pile up unread is cut off, and its run cancelled: the
// server never holds more than this of one run's output for a slow client.
const MAX_UNREAD_BYTES = 1024 * 1024;

/** Writes NDJSON lines; the headers go out with the first one, so errors before it keep their status. */
function ndjsonWriter(res: Response): (line: object) => void {
  return (line) => {
    if (res.destroyed) return;
    if (!res.headersSent) res.status(200).type(NDJSON_MEDIA_TYPE);
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

export function runHandlers(deps: RunHandlerDeps): Pick<RouteHandlers, 'runSkill' | 'generateSkill' | 'submitRun' | 'getRun'> {
  return {
    submitRun: async ({ body, call, res }) => {
      const accepted = await deps.asyncRuns.submit(body, call);
      res.setHeader('Location', `/v1/runs/${accepted.run_id}`);
      return { status: 202, body: accepted };
    },
    getRun: ({ params, call }) => ({ status: 200, body: deps.asyncRuns.get(String(params.id), call.actor) }),
    runSkill: async ({ body: request, call, req, res }) => {
      const streaming = req.accepts([JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE]) === NDJSON_MEDIA_TYPE;
      const writeLine = ndjsonWriter(res);
      const options = { signal: callerGone(res), onLog: streaming ? (chunk: LogChunk) => writeLine({ type: 'log', ...chunk }) : undefined };

      const outcome: IntentRunResult = request.intent !== undefined
        ? await deps.generation.runIntent({ ...request, intent: request.intent }, call, options)
        : { kind: 'ran', response: await deps.runs.run(request, call, options) };
      // The caller is gone (its run was cancelled): nothing is left to answer.
      if (res.destroyed) return ANSWERED;
      if (outcome.kind === 'stored') return { status: 202, body: outcome.body };
      if (!streaming) return { status: 200, body: outcome.response };
      writeLine({ type: 'result', ...outcome.response });
      res.end();
      return ANSWERED;
    },
    generateSkill: async ({ body, call }) => {
      const generated = await deps.generation.generate(body.intent, body.name, call);
      return { status: generated.skill.status === 'pending_review' ? 202 : 201, body: generated };
    },
  };
}
