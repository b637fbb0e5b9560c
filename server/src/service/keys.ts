// API keys at run time (SPEC §3): an admin creates a key for a role and is shown it once, lists ids,
// roles and creation times, and revokes keys. Only hashes are kept (<data_dir>/auth/api-keys.json),
// every change is audited with its intent first, and takes effect on the next request. Keys from the
// configuration (or the first-start key) stay valid and are changed where they are written.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditFacts, Auditor } from '../audit/index.js';
import { newApiKey, sha256Hex, type KeyRing } from '../auth/index.js';
import type { KeyConfig, Role } from '../config/index.js';
import type { Contracts } from '../contracts/index.js';
import { writeFileAtomic } from '../durable/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { CallContext } from './run.js';

interface StoredKey extends KeyConfig {
  created_at: string;
}

export interface KeyView {
  id: string;
  role: Role;
  created_at: string | null;
  /** `config`: from the YAML (or the first start), changed there; `api`: made through this API. */
  source: 'config' | 'api';
}

export class KeysService {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly deps: { ring: KeyRing; auditor: Auditor; contracts: Contracts },
    private readonly file: string,
    private readonly configured: KeyConfig[],
    private stored: StoredKey[],
  ) {}

  /** Loads the keys made at run time into the ring beside the configured ones. */
  static async open(dataDir: string, configured: KeyConfig[], deps: { ring: KeyRing; auditor: Auditor; contracts: Contracts }): Promise<KeysService> {
    const file = path.join(dataDir, 'auth', 'api-keys.json');
    let stored: StoredKey[] = [];
    try {
      stored = JSON.parse(await readFile(file, 'utf8')) as StoredKey[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const key of stored) deps.ring.add({ id: key.id, role: key.role, sha256: key.sha256 });
    return new KeysService(deps, file, configured, stored);
  }

  has(id: string): boolean {
    return this.deps.ring.has(id);
  }

  list(): { keys: KeyView[] } {
    const configured = this.configured.map((key): KeyView => ({ id: key.id, role: key.role, created_at: null, source: 'config' }));
    const made = this.stored.map((key): KeyView => ({ id: key.id, role: key.role, created_at: key.created_at, source: 'api' }));
    return { keys: [...configured, ...made] };
  }

  /** `body` as sent: a body that breaks the contract is a refused change, audited as one. */
  create(body: unknown, call: CallContext): Promise<{ id: string; role: Role; created_at: string; key: string }> {
    const facts: AuditFacts = { details: {} };
    return this.oneAtATime(() => this.deps.auditor.action('key.create', call, facts, async (act) => {
      const { id, role } = this.deps.contracts.assert('create_key.json', body);
      facts.details = { key_id: id, role };
      if (this.deps.ring.has(id)) throw new ConflictError(`a key with id ${id} exists already`, { id });
      const key = newApiKey();
      const entry: StoredKey = { id, role, sha256: sha256Hex(key), created_at: new Date().toISOString() };
      await act.intend([{ kind: 'key', id, present: true }]);
      await this.save([...this.stored, entry]);
      this.deps.ring.add({ id, role, sha256: entry.sha256 });
      return { id, role, created_at: entry.created_at, key, outcome: 'created' };
    })).then(({ outcome: _outcome, ...created }) => created);
  }

  revoke(id: string, call: CallContext): Promise<{ revoked: string }> {
    const facts: AuditFacts = { details: { key_id: id.slice(0, 64) } };
    return this.oneAtATime(() => this.deps.auditor.action('key.revoke', call, facts, async (act) => {
      if (this.configured.some((key) => key.id === id)) {
        throw new ConflictError(`key ${id} comes from the configuration; remove it there`, { id });
      }
      if (!this.stored.some((key) => key.id === id)) throw new NotFoundError(`no key ${id}`, { id });
      await act.intend([{ kind: 'key', id, present: false }]);
      await this.save(this.stored.filter((key) => key.id !== id));
      this.deps.ring.remove(id);
      return { revoked: id, outcome: 'revoked' };
    })).then(({ revoked }) => ({ revoked }));
  }

  private oneAtATime<T>(change: () => Promise<T>): Promise<T> {
    const next = this.tail.then(change);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async save(keys: StoredKey[]): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, JSON.stringify(keys, null, 2) + '\n');
    this.stored = keys;
  }
}
