// Running a skill (SPEC §3 run, §4 "again before every run", §5): find the active skill, review it
// again under the policy in force, check its input, take an admission slot, hand the job to the
// sandbox, check the result against output_schema, audit, answer.
import { randomUUID } from 'node:crypto';
import semver from 'semver';
import type { Actor } from '../auth/index.js';
import type { Limits } from '../config/index.js';
import type { Contracts } from '../contracts/index.js';
import { describeErrors } from '../contracts/index.js';
import type { ActionCall, AuditFacts, Auditor } from '../audit/index.js';
import type { ControlLayer } from '../control/index.js';
import type { Review } from '../control/index.js';
import type { LogChunk, RunOptions, RunOutcome, SandboxBackend } from '../engine/index.js';
import { BlockedError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { SkillStore, StoredSkill } from '../store/index.js';
import { sameOrigins, type EgressBroker } from '../egress/index.js';
import { netExchange } from './net-requests.js';
import type { Admission, Admitted } from './admission.js';
import { LIMIT_KEYS, type PolicyState } from './policy.js';
import { assertMayRun, reviewAgain } from './second-look.js';

/** A run as the service takes it: a run_skill.json body, or a run by intent once its skill is chosen. */
export interface RunRequest {
  skill?: string;
  version?: string;
  intent?: string;
  input: unknown;
  limits?: Partial<Limits>;
}

export interface RunResponse extends RunOutcome {
  run_id: string;
  skill: { name: string; version: string };
  queued_ms: number;
  limits: Limits;
  review: { decision: Review['decision']; findings?: Review['findings'] };
  generated?: boolean;
}

/** A run that passed every check and waits for its slot. */
export interface PreparedRun {
  skill: StoredSkill;
  input: unknown;
  limits: Limits;
  /** The network origins its requests may reach (approved by an admin). */
  origins: string[];
  review: RunResponse['review'];
}

/** How a run is followed: its id (a queued run has one already), its log as it happens, its caller going away. */
export interface ExecuteOptions {
  runId?: string;
  onLog?: (chunk: LogChunk) => void;
  signal?: AbortSignal;
}

export interface CallContext extends ActionCall {
  actor: Actor | null;
  requestId: string;
}

export interface RunServiceDeps {
  store: SkillStore;
  engine: SandboxBackend;
  control: ControlLayer;
  contracts: Contracts;
  auditor: Auditor;
  policy: PolicyState;
  admission: Admission;
  broker: EgressBroker;
}

/** Request limits may not exceed the maximum (400); a manifest's are capped by it (the review escalated them). */
export function effectiveLimits(policy: PolicyState, manifestLimits: Partial<Limits> = {}, requested: Partial<Limits> = {}): Limits {
  const { defaults, max } = policy.limits;
  const above = LIMIT_KEYS.filter((key) => requested[key] !== undefined && requested[key] > max[key]);
  if (above.length > 0) {
    throw new ValidationError(`requested limits above the admin maximum: ${above.join(', ')}`, {
      fields: Object.fromEntries(above.map((key) => [key, { requested: requested[key], max: max[key] }])),
    });
  }
  const limits = { ...defaults };
  for (const key of LIMIT_KEYS) {
    limits[key] = Math.min(requested[key] ?? manifestLimits[key] ?? defaults[key], max[key]);
  }
  return limits;
}

export class RunService {
  constructor(private readonly deps: RunServiceDeps) {}

  /** Resolves the skill a run names: the given version, else the newest active one. Only active skills run. */
  private async runnable(name: string, version?: string): Promise<StoredSkill> {
    const { store } = this.deps;
    const versions = store.list().filter((r) => r.name === name);
    const record = version
      ? versions.find((r) => r.version === version)
      : versions.filter((r) => r.status === 'active').sort((a, b) => semver.rcompare(a.version, b.version))[0] ?? versions[0];
    const missing = (): NotFoundError => new NotFoundError(`no skill ${name}${version ? `@${version}` : ''}`, { skill: name, version: version ?? null });
    if (!record) throw missing();
    if (record.status !== 'active') {
      throw new ConflictError(`skill ${record.name}@${record.version} is ${record.status}; only active skills run`, {
        skill: record.name, version: record.version, status: record.status,
      });
    }
    try {
      return await store.read(record);
    } catch (error) {
      // Uninstalled between the lookup and the read: as if it had never been there.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || !store.find(record.name, record.version)) throw missing();
      throw error;
    }
  }

  private checkInput(skill: StoredSkill, input: unknown): void {
    const schema = skill.manifest.input_schema;
    if (!schema) return;
    const validate = this.deps.contracts.compile(schema, 'input_schema');
    if (!validate(input)) {
      throw new ValidationError(`input does not match the input_schema of ${skill.record.name}`, { errors: describeErrors(validate.errors) });
    }
  }

  /** A result that breaks the skill's own output_schema is the skill's failure, not the caller's. */
  private checkOutput(skill: StoredSkill, outcome: RunOutcome): RunOutcome {
    const schema = skill.manifest.output_schema;
    if (!schema || outcome.status !== 'succeeded') return outcome;
    const validate = this.deps.contracts.compile(schema, 'output_schema');
    if (validate(outcome.result)) return outcome;
    const problems = describeErrors(validate.errors).map((e) => `${e.path} ${e.message}`).join('; ');
    return { ...outcome, status: 'failed', result: null, error: { type: 'OutputSchemaViolation', message: `result does not match output_schema: ${problems}` } };
  }

  /**
   * The origins the skill's requests may reach: those an admin approved, while the manifest still
   * lists exactly them. A manifest that changed since is refused; a skill never approved gets none.
   */
  private approvedOrigins(skill: StoredSkill): string[] {
    const requested = skill.manifest.permissions?.network ?? [];
    const approved = skill.record.approved_network ?? [];
    if (requested.length > 0 && !sameOrigins(requested, approved)) {
      throw new BlockedError(`skill ${skill.record.name}@${skill.record.version} lists other network origins than an admin approved; it needs a new review`, {
        requested, approved,
      });
    }
    return approved;
  }

  /**
   * Everything a run checks before it needs a slot: the skill is active, the second look lets it run,
   * the input matches, the limits and network origins are allowed. Throws the 4xx a caller should see at once.
   */
  async prepare(request: RunRequest): Promise<PreparedRun> {
    const { policy, control } = this.deps;
    if (!request.skill) throw new NotFoundError('no skill matches that intent', { intent: request.intent ?? null });
    const skill = await this.runnable(request.skill, request.version);
    const review = await reviewAgain(control, policy, skill);
    assertMayRun(skill, review);
    this.checkInput(skill, request.input);
    return {
      skill,
      input: request.input,
      limits: effectiveLimits(policy, skill.manifest.limits, request.limits),
      origins: this.approvedOrigins(skill),
      review: review.decision === 'WARN' ? { decision: review.decision, findings: review.findings } : { decision: review.decision },
    };
  }

  /** Runs a prepared run once `admitted` grants its slot (released here), audits it and answers. */
  execute(prepared: PreparedRun, admitted: Promise<Admitted>, call: CallContext, options: ExecuteOptions = {}): Promise<RunResponse> {
    return this.audited(call, { skill: prepared.skill.record.name, version: prepared.skill.record.version, details: {} }, (facts) => this.start(prepared, admitted, call, facts, options));
  }

  /**
   * Takes its place in admission first (a full queue is 429 before anything is read or reviewed),
   * then prepares and executes the run; a refusal on the way (429, 404, 409, 400) is audited as the
   * run's outcome.
   */
  run(request: RunRequest, call: CallContext, options: RunOptions = {}): Promise<RunResponse> {
    return this.audited(call, { skill: request.skill ?? null, version: request.version ?? null, details: {} }, async (facts) => {
      const admitted = this.deps.admission.enter();
      // Awaited below; until then a queue timeout must not count as an unhandled rejection.
      admitted.catch(() => undefined);
      let prepared: PreparedRun;
      try {
        prepared = await this.prepare(request);
      } catch (error) {
        // The refusal does not wait for the slot: it goes back as soon as it is granted.
        admitted.then((slot) => slot.release(), () => undefined);
        throw error;
      }
      facts.version = prepared.skill.record.version;
      return this.start(prepared, admitted, call, facts, options);
    });
  }

  private async audited(call: CallContext, facts: AuditFacts, work: (facts: AuditFacts) => Promise<RunResponse>): Promise<RunResponse> {
    const { response } = await this.deps.auditor.action('run', call, facts, async () => {
      const answer = await work(facts);
      return { response: answer, outcome: answer.status };
    });
    return response;
  }

  private async start(prepared: PreparedRun, admitted: Promise<Admitted>, call: CallContext, facts: AuditFacts, options: ExecuteOptions): Promise<RunResponse> {
    const { engine, policy } = this.deps;
    const { skill, limits } = prepared;
    const { manifest, record } = skill;
    facts.decision = prepared.review.decision;
    const runId = options.runId ?? randomUUID();
    // The guard inside the container holds the same policy the review just checked.
    const { allow_imports, allow_builtins, allow_capabilities } = policy.controlPolicy();
    const slot = await admitted;
    const egress = this.deps.broker.session({
      runId, requestId: call.requestId, actor: call.actor?.id ?? null, skill: record.name, version: record.version, origins: prepared.origins,
    });
    let outcome: RunOutcome;
    try {
      outcome = await engine.run(
        {
          files: skill.files,
          entrypoint: manifest.entrypoint,
          handler: manifest.handler,
          input: prepared.input,
          limits,
          policy: { allow_imports, allow_builtins, allow_capabilities },
        },
        { onLog: options.onLog, signal: options.signal, onNetRequest: netExchange(egress) },
      );
    } finally {
      slot.release();
    }
    // Every request's audit line is on disk before the run answers (a failed one fails the run).
    await egress.close();
    outcome = this.checkOutput(skill, outcome);
    facts.details = { run_id: runId, exit_code: outcome.exit_code, queued_ms: slot.queuedMs, run_duration_ms: outcome.duration_ms };
    return {
      run_id: runId,
      skill: { name: record.name, version: record.version },
      ...outcome,
      queued_ms: slot.queuedMs,
      limits,
      review: prepared.review,
    };
  }
}
