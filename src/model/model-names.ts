// The close model name offered when EMBED_MODEL names none known: a mistyped `use-lit` is answered with `use-lite`.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { EMBEDDED_MODEL_ID } from './embedded-model.js';

/** Model names known here: the embedded one, and the model folders under `root` (`name` or `org/name`). */
async function knownModelNames(root: string): Promise<string[]> {
  const names = [EMBEDDED_MODEL_ID];
  const dirs = async (dir: string) => (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
  for (const name of await dirs(root)) {
    names.push(name);
    for (const inner of await dirs(path.join(root, name))) names.push(`${name}/${inner}`);
  }
  return names;
}

/** The known model name a mistyped one is closest to (at most 2 edits, or a third of its length), if any. */
export async function nearestModelName(name: string, root: string): Promise<string | undefined> {
  const known = (await knownModelNames(root)).filter((n) => n !== name);
  if (!known.length) return undefined;
  const best = closest(name, known);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
