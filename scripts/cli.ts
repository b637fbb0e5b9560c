// tool-executor — a small command line for a running service, through its public API only:
//   tool-executor keys create --role client [--id ID]   creates a key; prints it once
//   tool-executor keys list                              ids, roles, creation times
//   tool-executor keys revoke ID                         the key fails from the next request on
// The server is TOOL_EXECUTOR_URL (default http://127.0.0.1:8080) or --url; the admin key is
// TOOL_EXECUTOR_KEY or --key. Exit 0 on success, 1 when the server refuses (its error is printed),
// 2 on bad usage.
import { randomBytes } from 'node:crypto';

const USAGE = `usage: tool-executor keys create --role client|author|admin [--id ID]
       tool-executor keys list
       tool-executor keys revoke ID
options: --url URL (or TOOL_EXECUTOR_URL, default http://127.0.0.1:8080)
         --key KEY (or TOOL_EXECUTOR_KEY: an admin key)
`;

class UsageError extends Error {}

interface Parsed {
  words: string[];
  options: Map<string, string>;
}

function parse(argv: string[]): Parsed {
  const words: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    options.set(name, value);
  }
  return { words, options };
}

async function request(method: string, route: string, options: Map<string, string>, body?: object): Promise<unknown> {
  const base = options.get('url') ?? process.env.TOOL_EXECUTOR_URL ?? 'http://127.0.0.1:8080';
  const key = options.get('key') ?? process.env.TOOL_EXECUTOR_KEY;
  if (!key) throw new UsageError('an admin key is needed: --key KEY or TOOL_EXECUTOR_KEY');
  const res = await fetch(new URL(route, base), {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${res.status} ${answer.error?.code ?? ''}: ${answer.error?.message ?? JSON.stringify(answer)}`);
  return answer;
}

async function keys(words: string[], options: Map<string, string>): Promise<string> {
  const [action, id] = words;
  switch (action) {
    case 'create': {
      const role = options.get('role');
      if (!role) throw new UsageError('keys create needs --role client|author|admin');
      const keyId = options.get('id') ?? `${role}-${randomBytes(3).toString('hex')}`;
      const created = (await request('POST', '/v1/admin/keys', options, { id: keyId, role })) as { id: string; role: string; key: string };
      return `created key ${created.id} (${created.role}); it is shown this once:\n\n    ${created.key}\n`;
    }
    case 'list': {
      const listed = (await request('GET', '/v1/admin/keys', options)) as { keys: Array<{ id: string; role: string; created_at: string | null; source: string }> };
      return listed.keys.map((key) => `${key.id}\t${key.role}\t${key.created_at ?? '-'}\t${key.source}`).join('\n') + '\n';
    }
    case 'revoke': {
      if (!id) throw new UsageError('keys revoke needs the key id');
      await request('DELETE', `/v1/admin/keys/${encodeURIComponent(id)}`, options);
      return `revoked key ${id}\n`;
    }
    default:
      throw new UsageError(`unknown keys command ${action ?? '(none)'}`);
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    const { words, options } = parse(argv);
    if (words[0] !== 'keys') throw new UsageError(words[0] ? `unknown command ${words[0]}` : 'no command');
    process.stdout.write(await keys(words.slice(1), options));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tool-executor: ${error.message}\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`tool-executor: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
