// A worker thread of the review pool: loads the parser once, then reviews what the pool sends it.
import { PythonParser } from './parse.js';
import { reviewSkill } from './review.js';
import type { ControlPolicy, Review } from './types.js';
import type { SkillSource } from '../skill.js';

const parser = PythonParser.load();

export default async function review(task: { skill: SkillSource; policy: ControlPolicy }): Promise<Review> {
  return reviewSkill(await parser, task.skill, task.policy);
}
