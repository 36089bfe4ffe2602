// argv → the command to run. The only module that exits; the commands in commands/ listen and print, and are
// imported when chosen, so a command does not pay for the libraries of the others.
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { AppError } from './errors.js';

const common = (cmd: Command) =>
  cmd
    .addOption(new Option('--corpus-dir <dir>', 'folder of .txt/.md documents (CORPUS_DIR)'))
    .addOption(new Option('--index-dir <dir>', 'where the index is kept (INDEX_DIR)'))
    .addOption(new Option('--models-dir <dir>', 'where models are kept (MODELS_DIR)'))
    .addOption(new Option('--embed-model <id>', 'use-lite, a transformers.js model id, or a model folder (EMBED_MODEL)'));

/** The command-line program; every setting of .env.example can also be given as an environment variable. */
export function createProgram(): Command {
  const program = new Command('passage-search').description('Semantic search over your own documents, offline.').showHelpAfterError();
  common(program.command('build').description('build the index of the corpus folder (nothing to do when it is up to date)'))
    .option('--force', 'build even when the index is up to date')
    .action(async (flags) => (await import('./commands/build.js')).runBuild(flags));
  common(program.command('serve').description('serve /search over HTTP'))
    .addOption(new Option('--port <port>', 'port to listen on (PORT)'))
    .addOption(new Option('--host <host>', 'address to listen on (HOST)'))
    .addOption(new Option('--watch', 'rebuild in the background when the corpus changes (WATCH)'))
    .action(async (flags) => (await import('./commands/serve.js')).runServe(flags));
  common(program.command('query').description('answer one question from the built index, without a server'))
    .argument('<question>', 'the question, in plain language')
    .option('-k, --k <k>', 'how many passages')
    .option('--json', 'print JSON instead of text')
    .action(async (question, flags) => (await import('./commands/query.js')).runQuery(question, flags));
  common(program.command('eval').description('hit@1, hit@3 and MRR@10 of key-phrase questions over the corpus folder'))
    .argument('<questions>', 'JSON file: [{ "q": question, "key": [verbatim phrases] }]')
    .action(async (file, flags) => (await import('./commands/evaluate.js')).runEval(file, flags));
  common(program.command('eval-beir').description('nDCG@10 and recall@100 on a BEIR-layout dataset folder'))
    .argument('<dir>', 'folder with corpus.jsonl, queries.jsonl and qrels/test.tsv')
    .action(async (dir, flags) => (await import('./commands/evaluate.js')).runEvalBeir(dir, flags));
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
    // Every command has finished its work (a server has closed): nothing left running should keep the process.
    process.exit(process.exitCode ?? 0);
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'INTERNAL';
    process.stderr.write(`error ${code}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
