// Lists the functions over 60 lines and the files over 400 lines (style.md's limits, issue 12), read with the
// TypeScript compiler's own parser (TypeScript 7's API, `typescript/unstable/sync`).
//   node --import tsx scripts/long-code.ts [FOLDER...]     (default src; exit 1 when anything is listed)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API } from 'typescript/unstable/sync';
import { SyntaxKind, type Node, type SourceFile } from 'typescript/unstable/ast';
import { compareStrings } from '../src/compare-strings.ts';

/** The longest a function may be, in lines from its first token to its last. */
export const MAX_FUNCTION_LINES = 60;
/** The longest a source file may be, in lines. */
export const MAX_FILE_LINES = 400;

/** One function or file over its limit. `name` is `Class.method`, the function's name, or where an unnamed one starts. */
export interface LongCode {
  readonly file: string;
  readonly name: string;
  readonly lines: number;
}

const FUNCTION_KINDS = new Set<SyntaxKind>([
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.FunctionExpression,
  SyntaxKind.ArrowFunction,
  SyntaxKind.MethodDeclaration,
  SyntaxKind.Constructor,
  SyntaxKind.GetAccessor,
  SyntaxKind.SetAccessor,
  SyntaxKind.ClassStaticBlockDeclaration,
]);

/** The text of a name node (identifier, private identifier or string literal), if it has one. */
function nameText(node: Node | undefined): string | undefined {
  const text = (node as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}

/** The name a function is listed by: its own, its class's and its own, or what it is assigned to. */
function functionName(node: Node, line: number): string {
  const own = nameText((node as { name?: Node }).name);
  const parent = node.parent;
  const owner = parent && parent.kind !== SyntaxKind.SourceFile ? nameText((parent as { name?: Node }).name) : undefined;
  if (node.kind === SyntaxKind.Constructor) return `${owner ?? '<class>'}.constructor`;
  if (node.kind === SyntaxKind.FunctionDeclaration || node.kind === SyntaxKind.FunctionExpression) {
    if (own !== undefined) return own;
  }
  if (own !== undefined) return owner !== undefined ? `${owner}.${own}` : own;
  return owner ?? `<function at line ${line}>`;
}

/** The functions of one parsed file over the limit. */
function longFunctions(file: SourceFile, relative: string, max: number): LongCode[] {
  const out: LongCode[] = [];
  const visit = (node: Node): void => {
    if (FUNCTION_KINDS.has(node.kind)) {
      const first = file.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = file.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      if (lines > max) out.push({ file: relative, name: functionName(node, first + 1), lines });
    }
    node.forEachChild(visit);
  };
  file.forEachChild(visit);
  return out;
}

/** How many lines a file's text has, counted as `wc -l` does. */
function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

/**
 * Every file over `maxFile` lines (named `<file>`) and every function over `maxFunction` lines among the files of the
 * TypeScript project `tsconfig` that lie under one of `folders`; paths relative to the project's folder, sorted.
 */
export function longCode(
  tsconfig: string,
  folders: readonly string[],
  limits: { readonly maxFunction: number; readonly maxFile: number } = { maxFunction: MAX_FUNCTION_LINES, maxFile: MAX_FILE_LINES },
): LongCode[] {
  const root = path.dirname(path.resolve(tsconfig));
  const api = new API({ cwd: root });
  try {
    const snapshot = api.updateSnapshot({ openProjects: [path.resolve(tsconfig)] });
    const program = snapshot.getProjects()[0]?.program;
    if (!program) throw new Error(`no TypeScript project at ${tsconfig}`);
    const under = folders.map((f) => path.resolve(root, f) + path.sep);
    const out: LongCode[] = [];
    for (const name of program.getSourceFileNames()) {
      if (!under.some((u) => name.startsWith(u)) || name.endsWith('.d.ts')) continue;
      const file = program.getSourceFile(name);
      if (!file) throw new Error(`${name} was not parsed`);
      const relative = path.relative(root, name);
      const lines = lineCount(file.text);
      if (lines > limits.maxFile) out.push({ file: relative, name: '<file>', lines });
      out.push(...longFunctions(file, relative, limits.maxFunction));
    }
    return out.sort((a, b) => compareStrings(a.file, b.file) || compareStrings(a.name, b.name));
  } finally {
    api.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const folders = process.argv.length > 2 ? process.argv.slice(2) : ['src'];
  const found = longCode(path.join(root, 'tsconfig.json'), folders);
  for (const f of found) console.log(`${f.file}\t${f.name}\t${f.lines} lines`);
  console.log(found.length === 0 ? 'nothing over the limits' : `${found.length} over the limits (functions ${MAX_FUNCTION_LINES}, files ${MAX_FILE_LINES})`);
  process.exitCode = found.length === 0 ? 0 : 1;
}
