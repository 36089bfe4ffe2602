// Before any test: dist/ compiled once when it is older than src/, so the tests' child processes (the CLI, servers,
// builds) run the code under test, and no test compiles while another runs it. `npm test` compiles before this.
import { compile } from './server.js';

export default function setup(): void {
  compile();
}
