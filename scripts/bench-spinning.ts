// ONNX Runtime's spinning threads, measured: the embedded model's session as transformers.js makes it by default
// (its intra-op threads spin while they wait for work) against the same with spinning off, as the embedder runs it.
// Each mode embeds 512 sentences in batches of 32, and one at a time (queries), alone and as three processes at once
// (a server's searches, its change worker and a build share two cores): wall time and CPU time of each.
//   npx tsx scripts/bench-spinning.ts
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoModel, AutoTokenizer, env } from '@huggingface/transformers';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function measure(spinning: boolean, batch: number): Promise<string> {
  env.allowRemoteModels = false;
  env.localModelPath = `${path.join(ROOT, 'models')}/`;
  const tokenizer = await AutoTokenizer.from_pretrained('use-lite');
  const session_options = spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
  const model = await AutoModel.from_pretrained('use-lite', { dtype: 'fp32', session_options });
  const texts = Array.from({ length: 512 }, (_, i) => `The keeper of lighthouse number ${i} counted the ships that passed in the night.`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let b = 0; b < texts.length; b += batch) await model(tokenizer(texts.slice(b, b + batch), { padding: true, truncation: true }));
  const used = process.cpuUsage(cpu);
  return JSON.stringify({ wall: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6 });
}

async function run(spinning: boolean, batch: number, at: number): Promise<{ wall: number; cpu: number }[]> {
  const one = () =>
    new Promise<{ wall: number; cpu: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', String(spinning), String(batch)], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`exit ${code}`))));
    });
  return Promise.all(Array.from({ length: at }, one));
}

if (process.argv[2] === '--one') {
  process.stdout.write(`${await measure(process.argv[3] === 'true', Number(process.argv[4]))}\n`);
} else {
  execFileSync('npm', ['run', '-s', 'compile'], { cwd: ROOT, stdio: 'inherit' });
  process.stdout.write(
    '| texts a call | processes at once | spinning (default): wall s / CPU s | spinning off: wall s / CPU s | CPU off / on |\n| --- | --- | --- | --- | --- |\n',
  );
  for (const batch of [32, 1]) {
    for (const at of [1, 3]) {
      const mean = (xs: { wall: number; cpu: number }[], k: 'wall' | 'cpu') => xs.reduce((s, x) => s + x[k], 0) / xs.length;
      const on = await run(true, batch, at);
      const off = await run(false, batch, at);
      process.stdout.write(
        `| ${batch} | ${at} | ${mean(on, 'wall').toFixed(2)} / ${mean(on, 'cpu').toFixed(2)} | ${mean(off, 'wall').toFixed(2)} / ${mean(off, 'cpu').toFixed(2)} | ${(mean(off, 'cpu') / mean(on, 'cpu')).toFixed(2)} |\n`,
      );
    }
  }
}
