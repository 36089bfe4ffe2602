#!/usr/bin/env node
// argv → the command to run. The only module that exits; the commands in commands/ listen and print, and are
// imported when chosen, so a command does not pay for the libraries of the others.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { AppError } from './errors.js';

const common = (cmd: Command) =>
  cmd
    .addOption(new Option('--corpus-dir <dir>', 'folder of documents: text, Markdown, HTML, PDF, Word (CORPUS_DIR)'))
    .addOption(new Option('--index-dir <dir>', 'where the index is kept (INDEX_DIR)'))
    .addOption(new Option('--models-dir <dir>', 'where models are kept (MODELS_DIR)'))
    .addOption(new Option('--embed-model <id>', 'use-lite, a transformers.js model id, or a model folder (EMBED_MODEL)'));

/** The command-line program; every setting of .env.example can also be given as an environment variable. */
/** The version in the project's package.json. */
function version(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

export function createProgram(): Command {
  const program = new Command('passage-search')
    .description('Semantic search over your own documents, offline.')
    .version(version(), '-V, --version')
    .showHelpAfterError();
  common(program.command('build').description('build the index of the corpus folder (nothing to do when it is up to date)'))
    .option('--force', 'build even when the index is up to date')
    .option('--json', 'end with one JSON line on standard output: the outcome, or the error and its code')
    .action(async (flags) => (await import('./commands/build.js')).runBuild(flags));
  common(program.command('serve').description('serve /search over HTTP'))
    .addOption(new Option('--port <port>', 'port to listen on (PORT)'))
    .addOption(new Option('--host <host>', 'address to listen on (HOST)'))
    .addOption(new Option('--watch', 'rebuild in the background when the corpus changes (WATCH)'))
    .action(async (flags) => (await import('./commands/serve.js')).runServe(flags));
  common(program.command('mcp').description('serve the search to AI agents as an MCP server on stdin and stdout')).action(async (flags) =>
    (await import('./commands/mcp.js')).runMcp(flags),
  );
  common(program.command('query').description('answer one question from the built index, without a server'))
    .argument('<question>', 'the question, in plain language')
    .option('-k, --k <k>', 'how many passages (1 to SEARCH_MAX_K)')
    .option('--min-score <score>', 'leave out hits scoring below this')
    .option('--offset <n>', 'pass over the best n hits first (paging)')
    .option('--source <glob>', "only documents whose path matches: 'reports/**', '*.pdf'")
    .option('--group-by <field>', 'with "source": at most --group-size hits per document')
    .option('--group-size <n>', 'hits per document when grouping (default 1)')
    .option('--all', 'show the weaker matches too, not only the hits likely to answer')
    .option('--json', 'print JSON instead of text (every hit, each with its confident flag)')
    .action(async (question, flags) => (await import('./commands/query.js')).runQuery(question, flags));
  common(program.command('put').description('add or replace a document in the index, kept by the index (not the corpus folder)'))
    .argument('<file>', 'the file to read: text, Markdown, HTML, PDF or Word (.docx)')
    .option('--as <path>', "its path in the index ('notes/harbour.md'); the file's name by default")
    .option('--type <media>', 'its media type (text/markdown, application/pdf…); its extension by default')
    .action(async (file, flags) => (await import('./commands/documents.js')).runPut(file, flags));
  common(program.command('delete').description('delete a document put with `put` (or over the API) from the index'))
    .argument('<path>', 'its path in the index')
    .action(async (source, flags) => (await import('./commands/documents.js')).runDelete(source, flags));
  common(program.command('list').description("the index's documents: where each came from, its title, passages and size"))
    .option('--origin <origin>', 'only documents from the corpus `folder`, or put over the `api`')
    .option('--json', 'print JSON')
    .action(async (flags) => (await import('./commands/documents.js')).runList(flags));
  common(program.command('eval').description('hit@1, hit@3 and MRR@10 of key-phrase questions over the corpus folder'))
    .argument('<questions>', 'JSON file: [{ "q": question, "key": [verbatim phrases] }]')
    .option('--offtopic <file>', 'JSON file of questions no document answers ([{ "q" }]): how often no hit is confident')
    .action(async (file, flags) => (await import('./commands/evaluate.js')).runEval(file, flags));
  common(program.command('eval-beir').description('nDCG@10 and recall@100 on a BEIR-layout dataset folder'))
    .argument('<dir>', 'folder with corpus.jsonl, queries.jsonl and qrels/test.tsv')
    .action(async (dir, flags) => (await import('./commands/evaluate.js')).runEvalBeir(dir, flags));
  return program;
}

/**
 * Settings from a `.env` file in the working folder, under the environment's own: a variable already set is kept.
 * Throws CONFIG_INVALID when the file cannot be read.
 */
export function loadDotEnv(file = path.resolve('.env')): void {
  if (!existsSync(file)) return;
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${file}: ${(err as Error).message}`);
  }
}

export async function main(argv = process.argv): Promise<void> {
  try {
    if (import.meta.url.endsWith('/dist/cli.js')) (await import('./commands/stale.js')).warnIfStale();
    loadDotEnv();
    await createProgram().parseAsync(argv);
    // Every command has finished its work (a server has closed): nothing left running should keep the process.
    process.exit(process.exitCode ?? 0);
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'INTERNAL';
    const issues =
      err instanceof AppError && err.issues && !err.message.includes(err.issues[0].message)
        ? err.issues.map((i) => `\n  ${i.path}: ${i.message}`).join('')
        : '';
    process.stderr.write(`error ${code}: ${(err as Error).message}${issues}\n`);
    process.exit(1);
  }
}

// Run as a program (node dist/cli.js, or the `passage-search` bin, which is a link to it).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) void main();
