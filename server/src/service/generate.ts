// The Make-Tool pattern (SPEC §6): a run by intent takes a matching active skill; when none matches
// and generation is on, the code model writes one, the control layer reviews it like any other, and
// it runs only if it ends up active.
import semver from 'semver';
import type { Config } from '../config/index.js';
import type { AuditFacts, Auditor } from '../audit/index.js';
import type { ControlLayer } from '../control/index.js';
import type { Review } from '../control/index.js';
import type { RunOptions } from '../engine/index.js';
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
  auditor: Auditor;
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
    const { store, control, auditor, policy, model, generator } = this.deps;
    const skillName = name ?? nameForIntent(intent);
    const facts: AuditFacts = { skill: skillName, details: {} };
    const { generated } = await auditor.action('generate', call, facts, async (act) => {
      const code = await model.writeSkill(intent);
      const manifest: Manifest = {
        name: skillName,
        version: this.nextVersion(skillName),
        description: intent.slice(0, 500),
        runtime: 'python3',
        entrypoint: 'main.py',
        handler: 'run',
        tags: ['generated', ...intentWords(intent).slice(0, 8)],
      };
      facts.version = manifest.version;
      const source = { manifest, files: { 'main.py': code } };
      const review = await control.review(source, policy.controlPolicy());
      facts.decision = review.decision;
      if (review.decision === 'BLOCK') throw new BlockedError('the generated skill was blocked by the control layer and is not stored', { review, intent });
      const status: SkillStatus =
        review.decision === 'ESCALATE' ? 'pending_review' : generator.auto_promote && review.decision === 'APPROVE' ? 'active' : 'draft';
      await act.intend([{ kind: 'skill', name: manifest.name, version: manifest.version, status }]);
      const record = await store.add(source, { status, origin: 'generate', digest: control.digest(source.files), review, created_by: call.actor?.id ?? null });
      const { version, description, tags } = record;
      const answer: GeneratedSkill = { skill: { name: record.name, version, status: record.status, description, tags }, review, generated: true };
      return { generated: answer, outcome: record.status };
    });
    return generated;
  }

  /** `run` with an intent: a matching active skill runs; else a generated one, if it is active. */
  async runIntent(request: RunRequest & { intent: string }, call: CallContext, options: RunOptions = {}): Promise<IntentRunResult> {
    const { store, runs, generator, auditor } = this.deps;
    const match = matchIntent(request.intent, store.list());
    if (match) {
      const response = await runs.run({ ...request, skill: match.name, version: match.version }, call, options);
      return { kind: 'ran', response: { ...response, generated: false } };
    }
    const refusal = { details: { intent: request.intent.slice(0, 200) } };
    if (!generator.enabled) {
      return auditor.refuse('run', call, refusal, new NotFoundError('no active skill matches that intent, and generation is off', { intent: request.intent }));
    }
    let generated: GeneratedSkill;
    try {
      generated = await this.generate(request.intent, undefined, call);
    } catch (error) {
      if (error instanceof UnavailableError) {
        return auditor.refuse('run', call, refusal, new NotFoundError(`no active skill matches that intent, and generation failed: ${error.message}`, { intent: request.intent }));
      }
      throw error;
    }
    if (generated.skill.status !== 'active') return { kind: 'stored', body: generated };
    const response = await runs.run({ ...request, skill: generated.skill.name, version: generated.skill.version }, call, options);
    return { kind: 'ran', response: { ...response, generated: true } };
  }
}
