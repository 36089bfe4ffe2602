// The warning a command run from dist/ gives when src/ was edited since it was compiled (in a checkout).
import { distIsStale } from '../live/processes.js';

export function warnIfStale(): void {
  if (distIsStale()) process.stderr.write('warning: dist/ is older than src/ (edited since it was compiled): run `npm run compile` to run your edits\n');
}
