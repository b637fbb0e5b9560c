// The skill lifecycle routes: create (author), install, uninstall, promote (admin), list and detail
// (client). Contracts first, then the lifecycle service; the service answers, this file only maps.
import express, { Router, type Response } from 'express';
import type { Contracts } from '../../contracts/index.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { CreateSkillRequest, LifecycleService, SkillRef } from '../../service/lifecycle.js';
import type { CallContext } from '../../service/run.js';
import { SKILL_NAME_PATTERN } from '../../skill.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export interface SkillsRouterDeps {
  lifecycle: LifecycleService;
  contracts: Contracts;
  /** Largest uploaded package (compressed); what it may unpack to is bounded by the extraction. */
  maxPackageBytes: number;
}

function callOf(res: Response): CallContext {
  const ctx = context(res);
  return { actor: ctx.actor, requestId: ctx.requestId };
}

export function createSkillsRouter(deps: SkillsRouterDeps): Router {
  const { lifecycle, contracts } = deps;
  const router = Router();

  router.post('/v1/skills/create', requireRole('author'), async (req, res) => {
    const request = contracts.assert<CreateSkillRequest>('create_skill.json', req.body);
    const { httpStatus, body } = await lifecycle.create(request, callOf(res));
    res.status(httpStatus).json(body);
  });

  // The role is checked before the package is read; inflate: false, because the gzip *is* the package.
  const packageBody = express.raw({ type: 'application/gzip', limit: deps.maxPackageBytes, inflate: false });
  router.post('/v1/skills/install', requireRole('admin'), packageBody, async (req, res) => {
    let answer;
    if (req.is('application/gzip')) {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new ValidationError('an application/gzip body must be a skill package (.tar.gz)');
      answer = await lifecycle.install({ package: req.body }, callOf(res));
    } else {
      answer = await lifecycle.install(contracts.assert<SkillRef>('install_skill.json', req.body), callOf(res));
    }
    res.status(answer.httpStatus).json(answer.body);
  });

  router.post('/v1/skills/uninstall', requireRole('admin'), async (req, res) => {
    res.json(await lifecycle.uninstall(contracts.assert<SkillRef>('uninstall_skill.json', req.body), callOf(res)));
  });

  router.post('/v1/skills/promote', requireRole('admin'), async (req, res) => {
    res.json(await lifecycle.promote(contracts.assert<Required<SkillRef>>('promote_skill.json', req.body), callOf(res)));
  });

  router.get('/v1/skills', requireRole('client'), (_req, res) => {
    res.json(lifecycle.list());
  });

  router.get('/v1/skills/:name', requireRole('client'), async (req, res) => {
    const name = String(req.params.name);
    // Not a skill name, so no skill: checked before the name goes anywhere near the store.
    if (!SKILL_NAME_PATTERN.test(name)) throw new NotFoundError(`no skill ${JSON.stringify(name.slice(0, 80))}`, { skill: name.slice(0, 80) });
    res.json(await lifecycle.detail(name));
  });

  return router;
}
