// The layout holds: every stage folder says what it owns and what it may import, and its files import nothing else;
// no source file passes 300 lines and no function 80.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve('src');
/** Modules at the top of src/ and who may import them: any stage may use errors and pids; config is wiring. */
const TOP = ['errors', 'pids', 'config', 'cli'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** The stage a file of src/ belongs to: its first folder, or the top module's own name. */
function stageOf(file: string): string {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  return rest.length ? first : first.replace(/\.ts$/, '');
}

function allowedImports(stage: string): string[] {
  const readme = readFileSync(path.join(SRC, stage, 'README.md'), 'utf8');
  const line = readme.match(/^May import: (.*)$/m);
  if (!line) throw new Error(`src/${stage}/README.md does not say what it may import`);
  return line[1].split(',').map((s) => s.trim());
}

function relativeImports(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\()'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
}

/**
 * Lengths of the functions of a source text: a line that opens a function (declaration, method, or arrow assigned
 * to a name) runs to the line where its braces close again.
 */
function functionLengths(text: string): { name: string; lines: number }[] {
  const lines = text.split('\n');
  const out: { name: string; lines: number }[] = [];
  const opener =
    /^\s*(?:export\s+)?(?:async\s+)?(?:function\s*\*?\s*(\w+)|(?:const|let)\s+(\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>\s*\{|(?:async\s+)?(\w+)\s*\([^)]*\)\s*(?::[^{]+)?\{\s*$)/;
  lines.forEach((line, i) => {
    const m = opener.exec(line);
    if (!m || /^\s*(?:if|for|while|switch|catch|return)\b/.test(line)) return;
    let depth = 0;
    let started = false;
    for (let j = i; j < lines.length; j++) {
      for (const ch of lines[j].replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`|\/\/.*$/g, '')) {
        if (ch === '{') depth++, (started = true);
        if (ch === '}') depth--;
      }
      if (started && depth <= 0) {
        out.push({ name: m[1] ?? m[2] ?? m[3], lines: j - i + 1 });
        return;
      }
    }
  });
  return out;
}

describe('the source layout', () => {
  const files = sourceFiles(SRC);

  it('has a folder comment for every stage, saying what it owns and may import', () => {
    const stages = new Set(files.map(stageOf).filter((s) => !TOP.includes(s)));
    expect([...stages].sort()).toEqual(['commands', 'evaluation', 'http', 'index', 'ingest', 'live', 'mcp', 'model', 'search']);
    for (const stage of stages) {
      const readme = readFileSync(path.join(SRC, stage, 'README.md'), 'utf8');
      expect(readme).toMatch(/^Owns: /m);
      expect(allowedImports(stage).length).toBeGreaterThan(0);
    }
  });

  it('imports only from the stages a folder allows: lower stages never import higher ones', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const stage = stageOf(file);
      const allowed = TOP.includes(stage) ? (stage === 'cli' ? ['commands', 'errors'] : stage === 'config' ? ['errors'] : []) : allowedImports(stage);
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = stageOf(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
        if (target !== stage && !allowed.includes(target)) wrong.push(`${path.relative(SRC, file)} imports ${spec} (${target})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps files under 300 lines and functions under 80', () => {
    const long: string[] = [];
    for (const file of [...files, ...sourceFiles(path.resolve('scripts'))]) {
      const text = readFileSync(file, 'utf8');
      const count = text.split('\n').length;
      if (count > 300) long.push(`${path.relative('.', file)}: ${count} lines`);
      for (const f of functionLengths(text)) if (f.lines > 80) long.push(`${path.relative('.', file)} ${f.name}: ${f.lines} lines`);
    }
    expect(long).toEqual([]);
  });

  it('measures a function from its opening line to its closing brace', () => {
    const text = [
      'export function a(x: number) {',
      '  if (x) {',
      "    return '}';",
      '  }',
      '  return 1;',
      '}',
      'const b = async (y: string) => {',
      '  return y;',
      '};',
    ].join('\n');
    expect(functionLengths(text)).toEqual([
      { name: 'a', lines: 6 },
      { name: 'b', lines: 3 },
    ]);
  });
});
