/**
 * Which exports nothing imports. Every TypeScript file of the tree is parsed on its own (no type
 * checking, so the whole tree takes a second or two); each import, re-export, `import()` and
 * `import("…").Name` type names what it takes from which file, through relative paths and the
 * tsconfig's path aliases. An export no other file names is either dead code or, when its own
 * file uses it, an `export` too many. Generated code (proto/gen) is read but never reported.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export interface UnusedExport {
  /** Relative to the root, with forward slashes. */
  file: string;
  name: string;
  /** Whether the file itself uses the name: then only the `export` goes. */
  usedInFile: boolean;
}

/** What one file exports and what it takes from others. */
export interface FileExports {
  /** Names declared and exported here (`export function f`, `export { a as b }`). */
  own: Set<string>;
  /** Names exported here that come from another file: name → [specifier, name there]. */
  reexported: Map<string, [string, string]>;
  /** `export * from "…"`: every name of those files passes through. */
  reexportAll: string[];
  /** What this file takes: specifier → names ("*" for a namespace import or a whole module). */
  imports: Map<string, Set<string>>;
  /** Identifiers of the file and how often each occurs, to tell a local use from none. */
  identifierCounts: Map<string, number>;
  /** Interfaces and type aliases declared in the file. */
  types: Set<string>;
  /** Names that occur in the file's exported declarations, each outside its own. */
  inExportedDeclarations: Set<string>;
  /** Values whose type an exported declaration takes (`typeof X`). */
  typeQueriedInExports: Set<string>;
}

const ROOTS = ["services", "gateway-smpp", "test", "deploy", "proto/gen"];
const SKIP_DIRS = new Set(["node_modules", "dist", ".cache"]);
const GENERATED = "proto/gen/";
const ALL = "*";

export function findUnusedExports(root: string): UnusedExport[] {
  const files = ROOTS.flatMap((dir) => tsFiles(root, dir));
  const parsed = new Map(
    files.map((file) => [file, readExports(readFileSync(path.join(root, file), "utf8"))]),
  );
  const resolve = moduleResolver(root, new Set(files));
  const used = new Set<string>();
  const wholeModules = new Set<string>();

  // A use of `name` from `file`: the file's own export, or passed on to where it comes from.
  const use = (file: string, name: string, seen = new Set<string>()): void => {
    const key = `${file}#${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const exports = parsed.get(file);
    if (!exports) return;
    used.add(key);
    const from = exports.reexported.get(name);
    if (from) {
      const target = resolve(file, from[0]);
      if (target) use(target, from[1], seen);
      return;
    }
    if (exports.own.has(name)) return;
    for (const specifier of exports.reexportAll) {
      const target = resolve(file, specifier);
      if (target) use(target, name, seen);
    }
  };

  for (const [file, exports] of parsed) {
    for (const [specifier, names] of exports.imports) {
      const target = resolve(file, specifier);
      if (target === undefined) continue;
      if (names.has(ALL)) wholeModules.add(target);
      for (const name of names) if (name !== ALL) use(target, name);
    }
  }
  // A namespace import or an `import()` of a whole module takes all of it, and what it passes on.
  const takeAll = (file: string, seen = new Set<string>()): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const exports = parsed.get(file);
    if (!exports) return;
    for (const name of [...exports.own, ...exports.reexported.keys()]) use(file, name);
    for (const specifier of exports.reexportAll) {
      const target = resolve(file, specifier);
      if (target) takeAll(target, seen);
    }
  };
  for (const file of wholeModules) takeAll(file);

  const unused: UnusedExport[] = [];
  for (const [file, exports] of parsed) {
    if (file.startsWith(GENERATED)) continue;
    for (const name of [...exports.own, ...exports.reexported.keys()].sort()) {
      if (used.has(`${file}#${name}`) || partOfExportedApi(exports, name)) continue;
      unused.push({ file, name, usedInFile: (exports.identifierCounts.get(name) ?? 0) > 1 });
    }
  }
  return unused.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
}

/**
 * A type that an exported declaration of its file names (the options a factory takes, what it
 * returns), or a value whose type one takes (`typeof CONCEPTS`), is part of that declaration's
 * contract: callers may name it, so its export stays.
 */
function partOfExportedApi(exports: FileExports, name: string): boolean {
  if (!exports.own.has(name)) return false;
  if (exports.typeQueriedInExports.has(name)) return true;
  return exports.types.has(name) && exports.inExportedDeclarations.has(name);
}

function tsFiles(root: string, dir: string, out: string[] = []): string[] {
  const full = path.join(root, dir);
  for (const name of readdirSync(full).sort()) {
    if (SKIP_DIRS.has(name)) continue;
    const child = path.join(full, name);
    if (statSync(child).isDirectory()) tsFiles(root, path.join(dir, name), out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts"))
      out.push(path.join(dir, name).split(path.sep).join("/"));
  }
  return out;
}

/** Resolves a specifier as tsconfig.json does: relative paths and the `paths` aliases. */
function moduleResolver(
  root: string,
  files: ReadonlySet<string>,
): (from: string, specifier: string) => string | undefined {
  const config = ts.readConfigFile(path.join(root, "tsconfig.json"), (f) => readFileSync(f, "utf8"));
  const { compilerOptions } = config.config as { compilerOptions?: { paths?: Record<string, string[]> } };
  const paths = compilerOptions?.paths ?? {};
  const aliases = Object.entries(paths).map(([pattern, [target = ""]]) => ({
    prefix: pattern.replace(/\*$/, ""),
    target: path.posix.normalize(target.replace(/\*$/, "")),
  }));
  const existing = (base: string): string | undefined =>
    [`${base}.ts`, `${base}/index.ts`, base].find((candidate) => files.has(candidate));
  return (from, specifier) => {
    if (specifier.startsWith(".")) {
      return existing(path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)));
    }
    const alias = aliases.find((a) => specifier.startsWith(a.prefix));
    if (!alias) return undefined;
    return existing(path.posix.join(alias.target, specifier.slice(alias.prefix.length)));
  };
}

/** What one file's text exports and imports. */
export function readExports(text: string): FileExports {
  const source = ts.createSourceFile("file.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const result: FileExports = {
    own: new Set(),
    reexported: new Map(),
    reexportAll: [],
    imports: new Map(),
    identifierCounts: new Map(),
    types: new Set(),
    inExportedDeclarations: new Set(),
    typeQueriedInExports: new Set(),
  };
  const take = (specifier: string, name: string): void => {
    const names = result.imports.get(specifier) ?? new Set<string>();
    names.add(name);
    result.imports.set(specifier, names);
  };
  for (const statement of source.statements) {
    readStatement(statement, result, take);
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      result.types.add(statement.name.text);
    }
    if (hasExportModifier(statement)) namesIn(statement, result);
  }
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      result.identifierCounts.set(node.text, (result.identifierCounts.get(node.text) ?? 0) + 1);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) take(literal.text, node.qualifier ? firstName(node.qualifier) : ALL);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const [argument] = node.arguments;
      const dynamic = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((dynamic || required) && argument && ts.isStringLiteralLike(argument)) take(argument.text, ALL);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return result;
}

function readStatement(
  statement: ts.Statement,
  result: FileExports,
  take: (specifier: string, name: string) => void,
): void {
  if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
    const specifier = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (!clause) return take(specifier, ALL); // for its effects: nothing named
    if (clause.name) take(specifier, "default");
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) take(specifier, ALL);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) take(specifier, (element.propertyName ?? element.name).text);
    }
    return;
  }
  if (ts.isExportDeclaration(statement)) return readExportDeclaration(statement, result, take);
  if (ts.isExportAssignment(statement)) {
    result.own.add("default");
    return;
  }
  if (!hasExportModifier(statement)) return;
  const isDefault = ts
    .getModifiers(statement as ts.HasModifiers)
    ?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  if (isDefault) return void result.own.add("default");
  if (ts.isVariableStatement(statement)) {
    for (const declaration of statement.declarationList.declarations) {
      for (const name of boundNames(declaration.name)) result.own.add(name);
    }
    return;
  }
  const named = statement as ts.Statement & { name?: ts.Node };
  if (named.name && ts.isIdentifier(named.name)) result.own.add(named.name.text);
}

function readExportDeclaration(
  statement: ts.ExportDeclaration,
  result: FileExports,
  take: (specifier: string, name: string) => void,
): void {
  const specifier =
    statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
      ? statement.moduleSpecifier.text
      : undefined;
  const clause = statement.exportClause;
  if (specifier === undefined) {
    // `export { a, b as c }` of the file's own names.
    if (clause && ts.isNamedExports(clause))
      for (const element of clause.elements) result.own.add(element.name.text);
    return;
  }
  if (!clause) return void result.reexportAll.push(specifier);
  if (ts.isNamespaceExport(clause)) {
    result.own.add(clause.name.text);
    return take(specifier, ALL);
  }
  for (const element of clause.elements) {
    result.reexported.set(element.name.text, [specifier, (element.propertyName ?? element.name).text]);
  }
}

/** Identifiers under an exported declaration but its own name, and the values it takes `typeof`. */
function namesIn(statement: ts.Statement, result: FileExports): void {
  const own = (statement as ts.Statement & { name?: ts.Node }).name;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node !== own) result.inExportedDeclarations.add(node.text);
    if (ts.isTypeQueryNode(node)) result.typeQueriedInExports.add(firstName(node.exprName));
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(statement, visit);
}

function hasExportModifier(statement: ts.Statement): boolean {
  return (
    ts.canHaveModifiers(statement) &&
    (ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false)
  );
}

function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : boundNames(element.name),
  );
}

function firstName(name: ts.EntityName): string {
  return ts.isIdentifier(name) ? name.text : firstName(name.left);
}
