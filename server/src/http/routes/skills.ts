// The skill lifecycle routes: create (author), install, uninstall, promote (admin), list and detail
// (client). The router has checked the contracts; the lifecycle service answers, this file only maps.
import { NotFoundError, ValidationError } from '../../errors.js';
import type { LifecycleService } from '../../service/index.js';
import { SKILL_NAME_PATTERN } from '../../skill.js';
import type { RouteHandlers } from '../router.js';

export function skillsHandlers(deps: { lifecycle: LifecycleService }): Pick<RouteHandlers, 'createSkill' | 'installSkill' | 'uninstallSkill' | 'promoteSkill' | 'listSkills' | 'getSkill'> {
  const { lifecycle } = deps;
  return {
    createSkill: async ({ body, call }) => {
      const { httpStatus, body: answer } = await lifecycle.create(body, call);
      return { status: httpStatus, body: answer };
    },
    installSkill: async ({ body, call }) => {
      if (Buffer.isBuffer(body) && body.length === 0) throw new ValidationError('an application/gzip body must be a skill package (.tar.gz)');
      const answer = await lifecycle.install(Buffer.isBuffer(body) ? { package: body } : body, call);
      return { status: 201, body: answer.body };
    },
    uninstallSkill: async ({ body, call }) => ({ status: 200, body: await lifecycle.uninstall(body, call) }),
    promoteSkill: async ({ body, call }) => ({ status: 200, body: await lifecycle.promote(body, call) }),
    listSkills: () => ({ status: 200, body: lifecycle.list() }),
    getSkill: async ({ params }) => {
      const name = String(params.name);
      // Not a skill name, so no skill: checked before the name goes anywhere near the store.
      if (!SKILL_NAME_PATTERN.test(name)) throw new NotFoundError(`no skill ${JSON.stringify(name.slice(0, 80))}`, { skill: name.slice(0, 80) });
      return { status: 200, body: await lifecycle.detail(name) };
    },
  };
}
