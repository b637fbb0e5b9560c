// The skill lifecycle (SPEC §3, §7, §8): create, install (from the registry or an uploaded package),
// promote, uninstall, list and detail. Every new skill goes the same way — the package/file rules,
// a staging folder, the control layer, then into place with its status — and every action is
// audited, refusals included, before the answer leaves.
import type { ActionHandle, AuditFacts, Auditor } from '../audit/index.js';
import { hasRole } from '../auth/index.js';
import type { Contract, Contracts } from '../contracts/index.js';
import type { ControlPolicy, Review } from '../control/index.js';
import { BlockedError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { SkillSource } from '../skill.js';
import type { SkillLimits } from '../skill-rules/index.js';
import {
  packageDigest, readPackage, refusePrototypeKeys,
  type SkillRecord, type SkillRegistry, type SkillReviewer, type SkillStatus, type SkillStore, type SkillOrigin,
} from '../store/index.js';
import type { CallContext } from './run.js';
import { assertMayRun, reviewAgain } from './second-look.js';

export type CreateSkillRequest = Contract<'create_skill.json'>;
export type SkillRef = Contract<'uninstall_skill.json'>;
export type InstallRequest = SkillRef | { package: Buffer };

/** A record as the API shows it. */
export type SkillView = Contract<'skill_view.json'>;

export interface StoredSkillAnswer {
  /** 201, or 202 when the control layer escalated and the skill waits for a review. */
  httpStatus: 201 | 202;
  body: { skill: SkillView; review: Review; digest?: string };
}

export interface LifecycleDeps {
  store: SkillStore;
  control: SkillReviewer;
  policy: { controlPolicy(): ControlPolicy };
  auditor: Auditor;
  registry: SkillRegistry;
  contracts: Contracts;
  skillLimits: SkillLimits;
}

export function viewOf(record: SkillRecord): SkillView {
  const { name, version, status, description, tags, origin, digest, created_at, updated_at, created_by = null, review_decision, approved_network } = record;
  return {
    name, version, status, description, tags, origin, digest, created_at, updated_at, created_by,
    ...(review_decision ? { review_decision } : {}), ...(approved_network ? { approved_network } : {}),
  };
}

export class LifecycleService {
  constructor(private readonly deps: LifecycleDeps) {}

  private assertAbsent(name: string, version: string): void {
    const existing = this.deps.store.find(name, version);
    if (existing) throw new ConflictError(`skill ${name}@${version} exists already (${existing.status})`, { skill: name, version, status: existing.status });
  }

  /**
   * The common way in: rules and staging (store.stage), the control layer, then into place. BLOCK
   * stores nothing; ESCALATE waits as pending_review; otherwise active when `wantActive`, else a draft.
   */
  private async admit(source: SkillSource, origin: SkillOrigin, wantActive: boolean, act: ActionHandle, call: CallContext): Promise<StoredSkillAnswer & { outcome: SkillStatus }> {
    const { store, control, policy } = this.deps;
    this.assertAbsent(source.manifest.name, source.manifest.version);
    const staged = await store.stage(source);
    try {
      const review = await control.review(staged, policy.controlPolicy());
      act.facts.decision = review.decision;
      if (review.decision === 'BLOCK') {
        throw new BlockedError(`the control layer blocked ${source.manifest.name}@${source.manifest.version}; nothing was stored`, { review });
      }
      const status: SkillStatus = review.decision === 'ESCALATE' ? 'pending_review' : wantActive ? 'active' : 'draft';
      await act.intend([{ kind: 'skill', name: source.manifest.name, version: source.manifest.version, status }]);
      const record = await store.commit(staged, { status, origin, digest: control.digest(staged.files), review, created_by: call.actor?.id ?? null });
      return { httpStatus: status === 'pending_review' ? 202 : 201, body: { skill: viewOf(record), review }, outcome: status };
    } finally {
      await staged.discard();
    }
  }

  async create(request: CreateSkillRequest, call: CallContext): Promise<StoredSkillAnswer> {
    const { code, files = {}, auto_promote = false, ...manifest } = request;
    const facts: AuditFacts = { skill: manifest.name, version: manifest.version, details: { auto_promote } };
    return this.deps.auditor.action('create', call, facts, async (act) => {
      refusePrototypeKeys(request, 'request body');
      if (manifest.entrypoint in files) {
        throw new ValidationError(`files may not hold the entrypoint ${manifest.entrypoint}: its source is \`code\``, { path: manifest.entrypoint });
      }
      // Only an admin may skip the draft stage; an author's auto_promote quietly stores a draft (SPEC §3).
      const wantActive = auto_promote && call.actor !== null && hasRole(call.actor, 'admin');
      return this.admit({ manifest, files: { ...files, [manifest.entrypoint]: code } }, 'create', wantActive, act, call);
    });
  }

  async install(request: InstallRequest, call: CallContext): Promise<StoredSkillAnswer> {
    const { registry, contracts } = this.deps;
    const limits = this.deps.skillLimits;
    const facts: AuditFacts = 'package' in request
      ? { details: { source: 'upload', bytes: request.package.length } }
      : { skill: request.name, version: request.version, details: { source: 'registry', registry: registry.location } };
    return this.deps.auditor.action('install', call, facts, async (act) => {
      let bytes: Buffer;
      if ('package' in request) {
        bytes = request.package;
      } else {
        const entry = await registry.resolve(request.name, request.version);
        facts.version = entry.version;
        bytes = await registry.fetch(entry);
      }
      const sha256 = packageDigest(bytes);
      facts.details.sha256 = sha256;
      const source = await readPackage(bytes, contracts, limits);
      facts.skill = source.manifest.name;
      facts.version = source.manifest.version;
      if ('name' in request && (source.manifest.name !== request.name || (request.version && source.manifest.version !== request.version))) {
        throw new BlockedError(`the registry package for ${request.name} holds ${source.manifest.name}@${source.manifest.version}`, { rule: 'package-mismatch' });
      }
      const answer = await this.admit(source, 'package' in request ? 'upload' : 'install', true, act, call);
      return { ...answer, body: { ...answer.body, digest: `sha256:${sha256}` } };
    });
  }

  async uninstall(request: SkillRef, call: CallContext): Promise<{ removed: Array<{ name: string; version: string }> }> {
    const facts: AuditFacts = { skill: request.name, version: request.version, details: {} };
    const { removed } = await this.deps.auditor.action('uninstall', call, facts, async (act) => {
      const { store } = this.deps;
      const matching = store.list().filter((r) => r.name === request.name && (request.version === undefined || r.version === request.version));
      if (matching.length > 0) await act.intend(matching.map((r) => ({ kind: 'skill', name: r.name, version: r.version, status: 'absent' })));
      const gone = await store.remove(request.name, request.version);
      if (gone.length === 0) {
        throw new NotFoundError(`no skill ${request.name}${request.version ? `@${request.version}` : ''} is installed`, { skill: request.name, version: request.version ?? null });
      }
      facts.details.removed = gone.map((r) => r.version);
      return { removed: gone, outcome: 'removed' };
    });
    return { removed };
  }

  /** A draft becomes active, after the control layer looked again under the policy in force. */
  async promote(request: Required<SkillRef>, call: CallContext): Promise<{ skill: SkillView; review: Review }> {
    const { store, control, policy } = this.deps;
    const facts: AuditFacts = { skill: request.name, version: request.version, details: {} };
    const { skill, review } = await this.deps.auditor.action('promote', call, facts, async (act) => {
      const record = store.find(request.name, request.version);
      if (!record) throw new NotFoundError(`no skill ${request.name}@${request.version}`, { skill: request.name, version: request.version });
      if (record.status !== 'draft') {
        const hint = record.status === 'pending_review' ? '; it needs a review decision (POST /v1/reviews/{id}/approve)' : '';
        throw new ConflictError(`skill ${request.name}@${request.version} is ${record.status}, not a draft${hint}`, { skill: record.name, version: record.version, status: record.status });
      }
      const stored = await store.read(record);
      const again = await reviewAgain(control, policy, stored);
      facts.decision = again.decision;
      // Promoted is runnable: what would be refused at the run is refused here.
      assertMayRun(stored, again);
      await act.intend([{ kind: 'skill', name: record.name, version: record.version, status: 'active' }]);
      const promoted = await store.setStatus(record.name, record.version, 'active');
      return { skill: viewOf(promoted), review: again, outcome: promoted.status };
    });
    return { skill, review };
  }

  list(): { skills: SkillView[] } {
    return { skills: this.deps.store.list().map(viewOf) };
  }

  /** Every version of a skill, newest first, with what its manifest promises (schemas, limits, permissions) and its files. */
  async detail(name: string): Promise<Contract<'skill_detail.json'>> {
    const records = this.deps.store.list().filter((r) => r.name === name).reverse();
    if (records.length === 0) throw new NotFoundError(`no skill ${name}`, { skill: name });
    const versions = await Promise.all(records.map(async (record) => {
      const { manifest, files } = await this.deps.store.read(record);
      const { entrypoint, handler, runtime, input_schema, output_schema, limits, permissions } = manifest;
      return { ...viewOf(record), runtime, entrypoint, handler, input_schema, output_schema, limits, permissions, review: record.review, files };
    }));
    return { name, versions };
  }
}
