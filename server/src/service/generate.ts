// The Make-Tool pattern (SPEC §6): a run by intent takes a matching active skill; when none matches
// and generation is on, the code model writes one, the control layer reviews it like any other, and
// it runs only if it ends up active.
import semver from 'semver';
import type { Config } from '../config/index.js';
import type { AuditLog } from '../audit/index.js';
import type { ControlLayer } from '../control/index.js';
import type { Review } from '../control/index.js';
import type { LogChunk } from '../engine/index.js';
import { BlockedError, NotFoundError, UnavailableError } from '../errors.js';
import type { CodeModel } from '../generator/index.js';
import type { Manifest } from '../skill.js';
import type { SkillRecord, SkillStatus, SkillStore } from '../store/index.js';
import { matchIntent, nameForIntent, intentWords } from './intent.js';
import type { PolicyState } from './policy.js';
import type { CallContext, RunRequest, RunResponse, RunService } from './run.js';

export interface GeneratedSkill {
  skill: Pick<SkillRecord, 'name' | 'version' | 'status' | 'description' | 'tags'>;
  review: Review;
  generated: true;
}

export type IntentRunResult = { kind: 'ran'; response: RunResponse } | { kind: 'stored'; body: GeneratedSkill };

export interface GenerateServiceDeps {
  store: SkillStore;
  control: ControlLayer;
  audit: AuditLog;
  policy: PolicyState;
  runs: RunService;
  model: CodeModel;
  generator: Config['generator'];
}

export class GenerateService {
  constructor(private readonly deps: GenerateServiceDeps) {}

  /** The next free version of `name`: 0.1.0 for a new name, else a patch above the highest. */
  private nextVersion(name: string): string {
    const versions = this.deps.store.list().filter((r) => r.name === name).map((r) => r.version);
    const highest = versions.sort(semver.rcompare)[0];
    return highest ? semver.inc(highest, 'patch')! : '0.1.0';
  }

  /** Asks the code model for a skill, reviews and stores it. BLOCK is 422 and stores nothing. */
  async generate(intent: string, name: string | undefined, call: CallContext): Promise<GeneratedSkill> {
    const { store, control, audit, policy, model, generator } = this.deps;
    const startedAt = performance.now();
    const code = await model.writeSkill(intent);
    const skillName = name ?? nameForIntent(intent);
    const manifest: Manifest = {
      name: skillName,
      version: this.nextVersion(skillName),
      description: intent.slice(0, 500),
      runtime: 'python3',
      entrypoint: 'main.py',
      handler: 'run',
      tags: ['generated', ...intentWords(intent).slice(0, 8)],
    };
    const source = { manifest, files: { 'main.py': code } };
    const review = await control.review(source, policy.controlPolicy());
    const audited = { event: 'generate', actor: call.actor?.id ?? null, request_id: call.requestId, skill: manifest.name, version: manifest.version, decision: review.decision };
    if (review.decision === 'BLOCK') {
      await audit.record({ ...audited, outcome: 'blocked', duration_ms: Math.round(performance.now() - startedAt) });
      throw new BlockedError('the generated skill was blocked by the control layer and is not stored', { review, intent });
    }
    const status: SkillStatus =
      review.decision === 'ESCALATE' ? 'pending_review' : generator.auto_promote && review.decision === 'APPROVE' ? 'active' : 'draft';
    const record = await store.add(source, { status, origin: 'generate', digest: control.digest(source.files), review, created_by: call.actor?.id ?? null });
    await audit.record({ ...audited, outcome: status, duration_ms: Math.round(performance.now() - startedAt) });
    const { version, description, tags } = record;
    return { skill: { name: record.name, version, status: record.status, description, tags }, review, generated: true };
  }

  /** `run` with an intent: a matching active skill runs; else a generated one, if it is active. */
  async runIntent(request: RunRequest & { intent: string }, call: CallContext, onLog?: (chunk: LogChunk) => void): Promise<IntentRunResult> {
    const { store, runs, generator } = this.deps;
    const match = matchIntent(request.intent, store.list());
    if (match) {
      const response = await runs.run({ ...request, skill: match.name, version: match.version }, call, onLog);
      return { kind: 'ran', response: { ...response, generated: false } };
    }
    if (!generator.enabled) throw new NotFoundError('no active skill matches that intent, and generation is off', { intent: request.intent });
    let generated: GeneratedSkill;
    try {
      generated = await this.generate(request.intent, undefined, call);
    } catch (error) {
      if (error instanceof UnavailableError) {
        throw new NotFoundError(`no active skill matches that intent, and generation failed: ${error.message}`, { intent: request.intent });
      }
      throw error;
    }
    if (generated.skill.status !== 'active') return { kind: 'stored', body: generated };
    const response = await runs.run({ ...request, skill: generated.skill.name, version: generated.skill.version }, call, onLog);
    return { kind: 'ran', response: { ...response, generated: true } };
  }
}
