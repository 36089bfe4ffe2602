// What every tool is given, and how a tool's failure reaches the client: as a tool error whose text is the API's one
// error body, code first, so an agent (or its user) can tell whose move it is.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError, errorBody } from '../../errors.js';
import type { ViewedDocument } from '../../http/routes/pages.js';
import type { AppLimits } from '../../http/schemas.js';
import type { SearchEngine } from '../../search/engine.js';

export interface ToolDeps {
  /** The engine to answer with; throws INDEX_NOT_READY (or another AppError) when there is none. */
  engine: () => SearchEngine;
  /** Reads an indexed document; null when the index has no such document. */
  readDocument: (source: string) => Promise<ViewedDocument | null>;
  /** The request limits of the HTTP API, which the tools' arguments obey too. */
  limits: AppLimits;
  /** Longest a search may take before it fails with REQUEST_TIMEOUT (its work stopped); 0 or absent for no limit. */
  timeoutMs?: number;
  /** Told of errors that are our bug or an unavailable dependency (5xx in the HTTP API), for the log. */
  onInternalError?: (err: unknown) => void;
}

/** A tool error carrying `err`'s code: the text is `{ "error": { "code", "message", "issues"? } }`, public wording. */
export function toolError(err: AppError): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(errorBody(err, true)) }] };
}

/**
 * Runs a tool's work. A catalogue error becomes a tool error with its code; anything else is logged and answered as
 * INTERNAL, so no raw message (a folder, an address) reaches the client.
 */
export async function answered(deps: Pick<ToolDeps, 'onInternalError'>, work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) deps.onInternalError?.(err);
    return toolError(err instanceof AppError ? err : new AppError('INTERNAL'));
  }
}
