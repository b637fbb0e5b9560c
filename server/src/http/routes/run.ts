// POST /v1/skills/run — JSON answer, or NDJSON (log lines as they happen, then the result) when the
// client asks for application/x-ndjson. POST /v1/skills/generate — the Make-Tool pattern alone.
import { Router, type Response } from 'express';
import type { Contracts } from '../../contracts/index.js';
import type { LogChunk } from '../../engine/types.js';
import type { GenerateService, IntentRunResult } from '../../service/generate.js';
import type { RunRequest, RunService } from '../../service/run.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export interface RunRouterDeps {
  runs: RunService;
  generation: GenerateService;
  contracts: Contracts;
}

/** Writes NDJSON lines; the headers go out with the first one, so errors before it keep their status. */
function ndjsonWriter(res: Response): (line: object) => void {
  return (line) => {
    if (!res.headersSent) res.status(200).type('application/x-ndjson');
    res.write(JSON.stringify(line) + '\n');
  };
}

export function createRunRouter(deps: RunRouterDeps): Router {
  const router = Router();

  router.post('/v1/skills/run', requireRole('client'), async (req, res) => {
    const request = deps.contracts.assert<RunRequest>('run_skill.json', req.body);
    const ctx = context(res);
    const call = { actor: ctx.actor, requestId: ctx.requestId };
    const streaming = req.accepts(['application/json', 'application/x-ndjson']) === 'application/x-ndjson';
    const writeLine = ndjsonWriter(res);
    const onLog = streaming ? (chunk: LogChunk) => writeLine({ type: 'log', ...chunk }) : undefined;

    const outcome: IntentRunResult = request.intent !== undefined
      ? await deps.generation.runIntent({ ...request, intent: request.intent }, call, onLog)
      : { kind: 'ran', response: await deps.runs.run(request, call, onLog) };
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
