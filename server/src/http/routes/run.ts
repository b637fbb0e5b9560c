// POST /v1/skills/run — JSON answer, or NDJSON (log lines as they happen, then the result) when the
// client asks for application/x-ndjson.
import { Router } from 'express';
import type { Contracts } from '../../contracts/index.js';
import type { LogChunk } from '../../engine/types.js';
import type { RunRequest, RunService } from '../../service/run.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export function createRunRouter(deps: { runs: RunService; contracts: Contracts }): Router {
  const router = Router();
  router.post('/v1/skills/run', requireRole('client'), async (req, res) => {
    const request = deps.contracts.assert<RunRequest>('run_skill.json', req.body);
    const ctx = context(res);
    const call = { actor: ctx.actor, requestId: ctx.requestId };
    if (req.accepts(['application/json', 'application/x-ndjson']) !== 'application/x-ndjson') {
      res.json(await deps.runs.run(request, call));
      return;
    }
    // Headers go out with the first log line, so errors before the run starts still get their status.
    const writeLine = (line: object): void => {
      if (!res.headersSent) res.status(200).type('application/x-ndjson');
      res.write(JSON.stringify(line) + '\n');
    };
    const response = await deps.runs.run(request, call, (chunk: LogChunk) => writeLine({ type: 'log', ...chunk }));
    writeLine({ type: 'result', ...response });
    res.end();
  });
  return router;
}
