// Imports: which module each import names, whether the policy allows it, and which names of a file are
// bound to modules, so that `json.codecs` and `from datetime import sys` are seen as imports too.
// A skill's own files may import each other; every one of them is reviewed.
import type { Report, SourceText } from './context.js';
import { childByField, descendants, type SyntaxNode } from './parse.js';
import { CODE_FROM_STRING, ESCAPE_MODULES, MODULE_VALUED_ATTRIBUTES, RUNTIME_INTERNALS, escapeAttributeReason, isDunder, withheldModule } from './python-tables.js';

/** Python reads every identifier NFKC-normalised (PEP 3131): `ｅｖａｌ` is `eval`. */
export function pythonName(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFKC');
}

/** The skill's own modules (`lib/util.py` is `lib.util`, folders are packages) and the modules each binds. */
export class SkillModules {
  private readonly modules = new Set<string>();
  /** Per own module: names its imports bind -> the module bound. */
  readonly bindings = new Map<string, Map<string, string>>();

  constructor(pythonFiles: readonly string[]) {
    for (const file of pythonFiles) {
      const parts = file.slice(0, -'.py'.length).split('/');
      if (parts[parts.length - 1] === '__init__') parts.pop();
      for (let i = 1; i <= parts.length; i++) this.modules.add(parts.slice(0, i).join('.'));
    }
  }

  has(module: string): boolean {
    return this.modules.has(module);
  }

  static moduleOfFile(file: string): string {
    return file.slice(0, -'.py'.length).replace(/\/__init__$/, '').replace(/\//g, '.');
  }
}

export class ImportPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowImports: readonly string[], readonly skill: SkillModules) {
    this.allowed = new Set(allowImports);
  }

  /** Own modules, and allowed modules with their submodules (`collections` allows `collections.abc`). */
  allows(module: string): boolean {
    if (this.skill.has(module)) return true;
    const parts = module.split('.');
    for (let i = 1; i <= parts.length; i++) if (this.allowed.has(parts.slice(0, i).join('.'))) return true;
    return false;
  }

  /** The module an attribute of `module` names, if it names one (a submodule, a table entry, an escape module). */
  attributeModule(module: string, attribute: string): string | null {
    const own = this.skill.bindings.get(module)?.get(attribute);
    if (own) return own;
    if (this.skill.has(`${module}.${attribute}`)) return `${module}.${attribute}`;
    const known = MODULE_VALUED_ATTRIBUTES.get(module)?.get(attribute);
    if (known) return known;
    return ESCAPE_MODULES.has(attribute) && !this.skill.has(module) ? attribute : null;
  }

  /**
   * The rules for reading `attribute` of `module` (an attribute expression or a from-import): the
   * escape attributes, private names of modules that are not the skill's, string evaluators, and
   * modules reached through another module.
   */
  checkAttribute(module: string, attribute: string, at: number, report: Report): void {
    const escape = escapeAttributeReason(attribute);
    if (escape) return report(escape.rule, at, `${module}.${attribute}: ${escape.why}`);
    const own = this.skill.has(module);
    const internal = own ? undefined : RUNTIME_INTERNALS.get(module)?.get(attribute);
    if (internal) return report('runtime-internals', at, `${module}.${attribute}: ${internal}`);
    if (!own && attribute.startsWith('_') && !isDunder(attribute)) {
      return report('private-attribute', at, `${module}.${attribute}: a private name of a module outside the skill`);
    }
    if (!own && CODE_FROM_STRING.get(module)?.has(attribute)) {
      return report('code-from-string', at, `${module}.${attribute} evaluates strings as code`);
    }
    const target = this.attributeModule(module, attribute);
    if (target && !this.allows(target)) {
      report('module-attribute', at, `${module}.${attribute} is the module ${target}, which the policy does not allow`);
    }
  }
}

/** The modules bound by a file's imports (name -> dotted module), anywhere in the file. */
export function importBindings(source: SourceText, root: SyntaxNode, file: string, imports: ImportPolicy): Map<string, string> {
  const bound = new Map<string, string>();
  for (const node of descendants(root)) {
    if (node.type === 'import_statement') {
      for (const item of node.children.filter((c) => c.field === 'name')) {
        const { module, alias } = importedName(source, item);
        if (alias) bound.set(alias, module);
        else bound.set(module.split('.')[0] as string, module.split('.')[0] as string);
      }
    } else if (node.type === 'import_from_statement') {
      const from = fromModule(source, node, file);
      if (from === null) continue;
      for (const item of node.children.filter((c) => c.field === 'name')) {
        const { module: name, alias } = importedName(source, item);
        const target = from === '' ? name : imports.attributeModule(from, name);
        if (target) bound.set(alias ?? name, target);
      }
    }
  }
  // `m = json` makes m the module too (a module handed on as an argument is the guard's to catch)
  for (const node of descendants(root)) {
    const [left, , right] = node.type === 'assignment' ? node.children : [];
    if (left?.type !== 'identifier' || right?.type !== 'identifier') continue;
    const module = bound.get(pythonName(source.of(right)));
    if (module) bound.set(pythonName(source.of(left)), module);
  }
  return bound;
}

function dotted(source: SourceText, node: SyntaxNode): string {
  return node.children.filter((c) => c.type === 'identifier').map((c) => pythonName(source.of(c))).join('.');
}

function importedName(source: SourceText, item: SyntaxNode): { module: string; alias: string | null } {
  if (item.type === 'aliased_import') {
    const name = childByField(item, 'name');
    const alias = childByField(item, 'alias');
    return { module: name ? dotted(source, name) : '', alias: alias ? pythonName(source.of(alias)) : null };
  }
  return { module: dotted(source, item), alias: null };
}

/**
 * The module a from-import reads: absolute, or relative to the file's package. '' is the skill's
 * root folder (its names are then modules); null is a relative import that leaves the skill.
 */
function fromModule(source: SourceText, node: SyntaxNode, file: string): string | null {
  const name = childByField(node, 'module_name');
  if (!name) return null;
  if (name.type === 'dotted_name') return dotted(source, name);
  const prefix = name.children.find((c) => c.type === 'import_prefix');
  const level = prefix ? source.of(prefix).length : 1;
  const tail = name.children.find((c) => c.type === 'dotted_name');
  const packageParts = file.split('/').slice(0, -1);
  if (level - 1 > packageParts.length) return null;
  const base = packageParts.slice(0, packageParts.length - (level - 1));
  return [...base, ...(tail ? [dotted(source, tail)] : [])].join('.');
}

/** import-not-allowed, star-import, and the attribute rules for every from-imported name. */
export function checkImports(source: SourceText, root: SyntaxNode, file: string, imports: ImportPolicy, report: Report): void {
  for (const node of descendants(root)) {
    if (node.type === 'import_statement') {
      for (const item of node.children.filter((c) => c.field === 'name')) {
        const { module, alias } = importedName(source, item);
        const bound = alias ? module : (module.split('.')[0] as string);
        const withheld = imports.skill.has(module) ? null : withheldModule(module);
        if (withheld) {
          report('runtime-internals', item.start, `import of ${module}: ${withheld.name} is ${withheld.why}`);
        } else if (!imports.allows(module) || !imports.allows(bound)) {
          report('import-not-allowed', item.start, `import of ${alias ? module : bound}: not in the allowed imports and not a file of the skill`);
        }
      }
    } else if (node.type === 'import_from_statement') {
      checkFromImport(source, node, file, imports, report);
    }
  }
}

function checkFromImport(source: SourceText, node: SyntaxNode, file: string, imports: ImportPolicy, report: Report): void {
  const from = fromModule(source, node, file);
  const relative = childByField(node, 'module_name')?.type === 'relative_import';
  if (from === null) return report('import-not-allowed', node.start, 'a relative import that leaves the skill');
  const withheld = relative || imports.skill.has(from) ? null : withheldModule(from);
  if (withheld) return report('runtime-internals', node.start, `import from ${from}: ${withheld.name} is ${withheld.why}`);
  if (from !== '' && !imports.allows(from)) {
    const what = relative ? `relative import of ${from}: no such file in the skill` : `import from ${from}: not in the allowed imports and not a file of the skill`;
    return report('import-not-allowed', node.start, what);
  }
  const wildcard = node.children.find((c) => c.type === 'wildcard_import');
  if (wildcard) {
    report('star-import', wildcard.start, `from ${from || '.'} import *: the names it binds (modules among them) cannot be known before it runs`);
  }
  for (const item of node.children.filter((c) => c.field === 'name')) {
    const { module: name } = importedName(source, item);
    if (from === '') {
      if (!imports.skill.has(name)) report('import-not-allowed', item.start, `relative import of ${name}: no such file in the skill`);
    } else {
      imports.checkAttribute(from, name, item.start, report);
    }
  }
}
