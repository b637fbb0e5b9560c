// /mcp: the Model Context Protocol over Streamable HTTP (the official SDK's transport), behind the
// same bearer keys as the REST API. Each session belongs to the key that opened it. Active skills are
// the tools; a call is a run through the same service path as POST /v1/skills/run (second look,
// input check, admission, sandbox, audit). Admin keys also see the admin tools (promote_skill).
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema, ErrorCode, isInitializeRequest, ListToolsRequestSchema, McpError,
  type CallToolResult, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'winston';
import type { Auditor } from '../audit/index.js';
import { hasRole, type Actor } from '../auth/index.js';
import type { Contracts } from '../contracts/index.js';
import { AppError, ForbiddenError } from '../errors.js';
import { context } from '../http/index.js';
import type { CallContext, LifecycleService, RunService } from '../service/index.js';
import type { SkillStore } from '../store/index.js';
import { inputOf, toolOf, toolResult } from './tools.js';

export const MCP_PATH = '/mcp';
/** A session no request has used for this long is closed; its client initializes a new one. */
export const MCP_SESSION_IDLE_MS = 30 * 60 * 1000;

/** JSON-RPC server-error codes (-32000..-32099 are the implementation's) for the SPEC's refusals. */
export const MCP_ERROR = { forbidden: -32003, overloaded: -32029, unavailable: -32053 } as const;

const ADMIN_TOOLS: Tool[] = [{
  name: 'promote_skill',
  title: 'Promote a skill (admin)',
  description: 'Make a draft skill active, after the control layer looks at it again; it then appears among the tools.',
  inputSchema: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } }, required: ['name', 'version'] },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
}];

export interface McpDeps {
  runs: RunService;
  lifecycle: LifecycleService;
  store: SkillStore;
  auditor: Pick<Auditor, 'refuse'>;
  contracts: Contracts;
  logger: Logger;
  serverVersion: string;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
  actor: Actor;
  /** name@version of the tools this session was last shown, to tell a real change. */
  shown: string;
  lastUsedAt: number;
}

export interface McpEndpoint {
  router: Router;
  /** Closes every session. */
  close(): Promise<void>;
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

export function createMcpEndpoint(deps: McpDeps): McpEndpoint {
  const sessions = new Map<string, Session>();

  const activeSkills = () => {
    const newest = new Map<string, ReturnType<SkillStore['list']>[number]>();
    for (const record of deps.store.list().filter((r) => r.status === 'active')) {
      const seen = newest.get(record.name);
      if (!seen || record.updated_at > seen.updated_at) newest.set(record.name, record);
    }
    return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name));
  };
  const fingerprint = () => activeSkills().map((r) => `${r.name}@${r.version}`).join(',');

  async function listTools(actor: Actor): Promise<Tool[]> {
    const tools = await Promise.all(activeSkills().map(async (record) => toolOf((await deps.store.read(record)).manifest)));
    return hasRole(actor, 'admin') ? [...tools, ...ADMIN_TOOLS] : tools;
  }

  /** The SPEC's errors as MCP answers: bad input is the tool's error, refusals and overload are protocol errors. */
  function answerError(error: unknown, tool: string): CallToolResult {
    if (!(error instanceof AppError)) throw error;
    switch (error.code) {
      case 'validation_failed':
      case 'blocked':
        return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
      case 'overloaded':
      case 'unavailable':
        throw new McpError(MCP_ERROR[error.code], `${error.code}: ${error.message}; retry after ${error.retryAfterS ?? 1} s`, { code: error.code, retry_after_s: error.retryAfterS ?? 1 });
      case 'not_found':
        throw new McpError(ErrorCode.InvalidParams, `no tool ${tool}: ${error.message}`);
      case 'conflict':
        throw new McpError(ErrorCode.InvalidParams, error.message);
      default:
        throw error;
    }
  }

  /** An admin tool asked for by a lower role: audited as the REST API's 403 is (auth.refused, forbidden). */
  async function refuse(actor: Actor, tool: string, requestId: string): Promise<never> {
    const details = { reason: `role ${actor.role} is too low`, method: 'tools/call', path: MCP_PATH, tool };
    const forbidden = new ForbiddenError(`${tool} needs the admin role; key ${actor.id} is ${actor.role}`);
    await deps.auditor.refuse('auth.refused', { actor, requestId }, { details }, forbidden).catch((error: unknown) => {
      if (error !== forbidden) throw error;
    });
    throw new McpError(MCP_ERROR.forbidden, `forbidden: ${forbidden.message}`, { code: 'forbidden', required: 'admin' });
  }

  async function callAdminTool(tool: string, args: Record<string, unknown>, call: CallContext & { actor: Actor }): Promise<CallToolResult> {
    if (!hasRole(call.actor, 'admin')) return refuse(call.actor, tool, call.requestId);
    const promoted = await deps.lifecycle.promote(deps.contracts.assert('promote_skill.json', args, 'arguments'), call);
    return { content: [{ type: 'text', text: JSON.stringify(promoted) }], structuredContent: promoted };
  }

  function createSession(actor: Actor): Session {
    const server = new Server(
      { name: 'tool-executor', version: deps.serverVersion },
      {
        capabilities: { tools: { listChanged: true }, logging: {} },
        instructions: 'Each tool is a skill that runs in a fresh, network-less sandbox. What it prints arrives as log notifications while it runs.',
      },
    );
    const session: Session = {
      server, actor, shown: '', lastUsedAt: Date.now(),
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => void sessions.set(id, session),
      }),
    };
    session.transport.onclose = () => {
      if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
    };

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      session.shown = fingerprint();
      return { tools: await listTools(actor) };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tool = request.params.name;
      const args = request.params.arguments ?? {};
      const call = { actor, requestId: randomUUID() };
      try {
        if (ADMIN_TOOLS.some((t) => t.name === tool)) return await callAdminTool(tool, args, call);
        // The version the tool list showed; with none active the run answers why (unknown, or not active).
        const record = activeSkills().find((r) => r.name === tool);
        const manifest = record ? (await deps.store.read(record)).manifest : undefined;
        const run = await deps.runs.run({ skill: tool, version: record?.version, input: manifest ? inputOf(manifest, args) : args }, call, {
          onLog: (chunk) => {
            void extra.sendNotification({ method: 'notifications/message', params: { level: chunk.stream === 'stderr' ? 'warning' : 'info', logger: `${tool}/${chunk.stream}`, data: chunk.data } })
              .catch(() => undefined);
          },
        });
        return toolResult(run);
      } catch (error) {
        return answerError(error, tool);
      }
    });
    return session;
  }

  const unwatch = deps.store.watch(() => {
    const now = fingerprint();
    for (const session of sessions.values()) {
      if (session.shown === now) continue;
      session.shown = now;
      session.server.sendToolListChanged().catch((error: unknown) => deps.logger.debug('could not send tools/list_changed', { error: String(error) }));
    }
  });

  const sweep = setInterval(() => {
    for (const session of sessions.values()) {
      if (Date.now() - session.lastUsedAt > MCP_SESSION_IDLE_MS) void session.server.close();
    }
  }, 60_000);
  sweep.unref();

  const router = Router();
  router.all(MCP_PATH, async (req: Request, res: Response) => {
    const actor = context(res).actor;
    if (!actor) return jsonRpcError(res, 401, MCP_ERROR.forbidden, 'an API key is required');
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      // Another key's session is as unknown as an expired one.
      if (!session || session.actor.id !== actor.id) return jsonRpcError(res, 404, ErrorCode.InvalidRequest, 'no such MCP session; initialize a new one');
      session.lastUsedAt = Date.now();
      return session.transport.handleRequest(req, res, req.body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      return jsonRpcError(res, 400, ErrorCode.InvalidRequest, 'no MCP session: send initialize first, then its Mcp-Session-Id header');
    }
    const session = createSession(actor);
    await session.server.connect(session.transport);
    await session.transport.handleRequest(req, res, req.body);
  });

  return {
    router,
    async close() {
      clearInterval(sweep);
      unwatch();
      await Promise.all([...sessions.values()].map((session) => session.server.close()));
      sessions.clear();
    },
  };
}
