// The one rule set for a skill's files (names, paths, contents, sizes) and its manifest's size: the
// store, the control layer, create, install, generate and the registry packer all apply these.
export {
  canonicalPath, checkContent, checkPath, checkSkillFiles, duplicateKey, fileNameProblem, isImportableEntrypoint,
  MANIFEST_FILE, refusal, shadowedModules,
} from './files.js';
export { DEFAULT_SKILL_LIMITS, SizeTally, type SkillLimits } from './limits.js';
