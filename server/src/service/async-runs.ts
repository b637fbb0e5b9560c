// Asynchronous runs (POST /v1/runs, GET /v1/runs/{id}): the same checks as a synchronous run answer
// at once (4xx, or 429 when no queue place is free), then the run is recorded as queued, on disk,
// before the 202. One file per run under <data_dir>/runs/, rewritten atomically at each step
// (queued -> running -> the run's result, then the callback's delivery), kept runs.retention_ms
// after it ended. A run refused before the 202 is audited as a synchronous run's refusal is (one
// `run` event with the error code); an accepted one by the run service when it ends. A run that was
// queued or running when the service stopped can never finish: the next start records it as failed
// (ServiceRestarted), audits it and delivers its callback.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import type { Actor } from '../auth/index.js';
import { hasRole } from '../auth/index.js';
import type { Auditor } from '../audit/index.js';
import type { Limits } from '../config/index.js';
import type { Contract } from '../contracts/index.js';
import { writeFileAtomic } from '../durable/index.js';
import { NotFoundError } from '../errors.js';
import type { Admission } from './admission.js';
import type { CallbackTarget } from './callback.js';
import type { CallContext, RunResponse, RunService } from './run.js';

type RunState = 'queued' | 'running';

interface CallbackRecord {
  url: string;
  secret: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
}

interface AsyncRunRecord {
  run_id: string;
  status: RunState | RunResponse['status'];
  actor: string | null;
  /** The submitting request (absent in records written before it was kept). */
  request_id?: string;
  skill: { name: string; version: string };
  created_at: string;
  updated_at: string;
  limits: Limits;
  review: RunResponse['review'];
  /** The run's answer once it ended. */
  result?: RunResponse;
  callback?: CallbackRecord;
}

export interface AsyncRunsDeps {
  dataDir: string;
  runs: RunService;
  admission: Admission;
  auditor: Pick<Auditor, 'action' | 'refuse' | 'assertWritable'>;
  callbacks: CallbackTarget;
  retentionMs: number;
  logger: Logger;
}

const RESTARTED = 'ServiceRestarted';
const PRUNE_EVERY_MS = 60_000;
const RUN_ID = /^[0-9a-f-]{36}$/;

export class AsyncRuns {
  private readonly records = new Map<string, AsyncRunRecord>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private pruneTimer?: NodeJS.Timeout;

  private constructor(private readonly deps: AsyncRunsDeps, private readonly dir: string) {}

  /** Loads the kept runs, ends those a stop interrupted, resumes undelivered callbacks, prunes expired ones. */
  static async open(deps: AsyncRunsDeps): Promise<AsyncRuns> {
    const runs = new AsyncRuns(deps, path.join(deps.dataDir, 'runs'));
    await mkdir(runs.dir, { recursive: true });
    for (const file of (await readdir(runs.dir)).filter((f) => f.endsWith('.json'))) {
      const record = await readFile(path.join(runs.dir, file), 'utf8').then((text) => JSON.parse(text) as AsyncRunRecord).catch(() => undefined);
      // A temporary file of an interrupted write, or a torn one: the atomic write never left a half record in place.
      if (!record || !RUN_ID.test(record.run_id) || `${record.run_id}.json` !== file) continue;
      runs.records.set(record.run_id, record);
    }
    for (const record of runs.records.values()) {
      if (record.status === 'queued' || record.status === 'running') await runs.endLost(record);
      else if (record.callback?.state === 'pending') runs.track(runs.deliver(record));
    }
    await runs.prune();
    runs.pruneTimer = setInterval(() => void runs.prune().catch((error: unknown) => deps.logger.warn('could not prune runs', { error: String(error) })), PRUNE_EVERY_MS);
    runs.pruneTimer.unref();
    return runs;
  }

  private file(runId: string): string {
    return path.join(this.dir, `${runId}.json`);
  }

  private async save(record: AsyncRunRecord): Promise<void> {
    record.updated_at = new Date().toISOString();
    await writeFileAtomic(this.file(record.run_id), JSON.stringify(record));
    this.records.set(record.run_id, record);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async submit(request: Contract<'async_run.json'>, call: CallContext): Promise<Contract<'run_accepted.json'>> {
    try {
      return await this.accept(request, call);
    } catch (error) {
      // Refused before the 202 (404, 409, 400, 422, 429, or the record could not be written): the run's one line.
      return this.deps.auditor.refuse('run', call, { skill: request.skill, version: request.version ?? null, details: {} }, error);
    }
  }

  private async accept(request: Contract<'async_run.json'>, call: CallContext): Promise<Contract<'run_accepted.json'>> {
    const { runs, admission } = this.deps;
    // The run is audited when it ends: a log that cannot be written refuses it now, not after the 202.
    await this.deps.auditor.assertWritable();
    const { callback_url, ...runRequest } = request;
    if (callback_url !== undefined) await this.deps.callbacks.resolve(callback_url);
    const prepared = await runs.prepare(runRequest);
    // Throws 429 before anything is recorded when no queue place is free.
    const admitted = admission.enter();
    const now = new Date().toISOString();
    const record: AsyncRunRecord = {
      run_id: randomUUID(), status: 'queued', actor: call.actor?.id ?? null, request_id: call.requestId,
      skill: { name: prepared.skill.record.name, version: prepared.skill.record.version },
      created_at: now, updated_at: now, limits: prepared.limits, review: prepared.review,
      ...(callback_url !== undefined ? { callback: { url: callback_url, secret: randomBytes(32).toString('hex'), state: 'pending', attempts: 0, last_error: null } } : {}),
    };
    try {
      await this.save(record);
    } catch (error) {
      void admitted.then((slot) => slot.release());
      throw error;
    }
    this.track(this.execute(record, runs.execute(prepared, admitted.then(async (slot) => {
      await this.save({ ...record, status: 'running' });
      return slot;
    }), call, { runId: record.run_id })));
    return { run_id: record.run_id, status: 'queued', ...(record.callback ? { callback_secret: record.callback.secret } : {}) };
  }

  private async execute(record: AsyncRunRecord, running: Promise<RunResponse>): Promise<void> {
    let result: RunResponse;
    try {
      result = await running;
    } catch (error) {
      // Refused after it was queued (the engine went away, the audit log could not be written): still an answer.
      this.deps.logger.warn('an asynchronous run ended without running', { run_id: record.run_id, error: String(error) });
      result = this.failedResult(record, 'RunNotStarted', error instanceof Error ? error.message : String(error));
    }
    const done: AsyncRunRecord = { ...record, status: result.status, result };
    await this.save(done);
    if (done.callback) await this.deliver(done);
  }

  private failedResult(record: AsyncRunRecord, type: string, message: string): RunResponse {
    return {
      run_id: record.run_id, skill: record.skill, status: 'failed', result: null, error: { type, message },
      logs: '', logs_truncated: false, exit_code: null, duration_ms: 0, queued_ms: 0, limits: record.limits, review: record.review,
    };
  }

  private async endLost(record: AsyncRunRecord): Promise<void> {
    const result = this.failedResult(record, RESTARTED,
      `the service stopped (a crash or a restart) while this run was ${record.status}; it did not finish and was not retried. Submit it again.`);
    const ended: AsyncRunRecord = { ...record, status: 'failed', result };
    await this.save(ended);
    // The run's one line, which the stop kept its own action from writing.
    const call = { actor: record.actor === null ? null : { id: record.actor }, requestId: record.request_id ?? null };
    await this.deps.auditor.action('run', call, {
      skill: record.skill.name, version: record.skill.version, decision: record.review.decision,
      details: { run_id: record.run_id, error: RESTARTED, was: record.status },
    }, async () => ({ outcome: 'failed' }));
    if (ended.callback) this.track(this.deliver(ended));
  }

  private async deliver(record: AsyncRunRecord): Promise<void> {
    const callback = record.callback!;
    const failure = await this.deps.callbacks.deliver(callback.url, JSON.stringify(record.result), callback.secret, record.run_id, async (attempt, error) => {
      callback.attempts = attempt;
      callback.last_error = error;
      if (error === null) callback.state = 'delivered';
      await this.save(record);
    }, this.stopping.signal);
    if (failure !== null && !this.stopping.signal.aborted) {
      callback.state = 'failed';
      await this.save(record);
      this.deps.logger.warn('a run callback was not delivered', { run_id: record.run_id, attempts: callback.attempts, error: failure });
    }
  }

  /** The run's state while it waits or runs, then its answer. Only its own key, or an admin, sees it. */
  get(runId: string, actor: Actor | null): Contract<'run_state.json'> {
    const record = RUN_ID.test(runId) ? this.records.get(runId) : undefined;
    const mayRead = record && (record.actor === (actor?.id ?? null) || (actor !== null && hasRole(actor, 'admin')));
    if (!record || !mayRead) throw new NotFoundError(`no run ${runId.slice(0, 64)}`, { run_id: runId.slice(0, 64) });
    if (record.result) return record.result;
    return { run_id: record.run_id, status: record.status as RunState, skill: record.skill, created_at: record.created_at };
  }

  private async prune(): Promise<void> {
    const cutoff = Date.now() - this.deps.retentionMs;
    for (const record of [...this.records.values()]) {
      if (!record.result || record.callback?.state === 'pending' || Date.parse(record.updated_at) > cutoff) continue;
      this.records.delete(record.run_id);
      await rm(this.file(record.run_id), { force: true });
    }
  }

  /** Waits for the runs in progress (each ends at its time limit) and stops retrying callbacks. */
  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
