// The error catalogue: every failure the service reports has a code here, an HTTP status and a message template.
// Callers and tests match on `code`, never on the wording.

export const ERRORS = {
  INVALID_REQUEST: { status: 400, message: 'The request is not valid.' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than {0} bytes.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request line or headers are too large.' },
  BAD_HTTP: { status: 400, message: 'The request is not valid HTTP: {0}.' },
  CLIENT_CLOSED: { status: 499, message: 'The client closed the connection before the request was read.' },
  NOT_FOUND: { status: 404, message: 'No route matches {0} {1}.' },
  METHOD_NOT_ALLOWED: { status: 405, message: '{0} is not allowed on {1}.' },
  RATE_LIMITED: { status: 429, message: 'More than {0} requests a minute from this client: wait a little.' },
  REQUEST_TIMEOUT: { status: 503, message: 'The search took longer than {0} ms.' },
  OVERLOADED: { status: 503, message: 'More than {0} questions are waiting for the model: try again in a moment.' },
  INDEX_NOT_READY: {
    status: 503,
    message: 'No index is loaded from {0}: run `npm run build:index` first.',
    public: 'No index is loaded yet: build one with `npm run build:index`.',
  },
  INDEX_INVALID: { status: 503, message: 'The index in {0} cannot be used: {1}', public: "The index cannot be used; the server's log says why." },
  INDEX_MODEL_MISMATCH: {
    status: 503,
    message: 'The index in {0} was built with {1}, but the configured model is {2}: rebuild it with `npm run build:index`.',
    public: "The index was built under another embedding model than the server's: rebuild it.",
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: 'The database {0} cannot be used ({1}); the server retries by itself.',
    public: 'The database cannot be used right now; the server retries by itself.',
  },
  DATABASE_SCHEMA_MISMATCH: {
    status: 503,
    message: 'The database {0} has the tables of schema version {1}, and this program needs version {2}.',
    public: 'The database holds the tables of another version of this program.',
  },
  INDEX_WRITE_FAILED: {
    status: 500,
    message: 'The new index could not be written to {0}: {1}. The previous index is still in use.',
    public: 'The new index could not be written; the previous one is still in use.',
  },
  MODEL_UNAVAILABLE: {
    status: 503,
    message: 'The embedding model {0} cannot be loaded: {1}',
    public: "The embedding model cannot be loaded; the server's log says why.",
  },
  MODEL_CONVERSION_FAILED: { status: 500, message: 'The embedded model could not be prepared: {0}' },
  MODEL_OUTPUT_INVALID: { status: 500, message: 'The model {0} gave a vector of {1}: it cannot be compared.' },
  MODEL_VERIFICATION_FAILED: { status: 500, message: 'The embedded model does not reproduce its reference outputs: {0}' },
  BUILD_IN_PROGRESS: { status: 409, message: 'Another build of {0} is running (pid {1}).', public: 'Another build of the index is running.' },
  BUILD_STOPPED: { status: 503, message: 'The build was stopped by {0} before it was made current; the previous index is still in use.' },
  UNAUTHORIZED: { status: 401, message: 'This route needs the admin bearer token.' },
  DOCUMENT_PATH_INVALID: { status: 400, message: 'The document path {0} cannot be used: {1}.' },
  DOCUMENT_UNSUPPORTED: {
    status: 415,
    message: 'The document {0} is of a type this program does not read ({1}): send text, Markdown, HTML, PDF or Word (.docx).',
  },
  DOCUMENT_TOO_LARGE: { status: 413, message: 'The document is larger than {0} bytes.' },
  DOCUMENT_EMPTY: { status: 422, message: 'The document {0} gives no text to index: {1}.' },
  DOCUMENT_UNREADABLE: { status: 422, message: 'The document {0} cannot be read: {1}.' },
  DOCUMENT_NOT_FOUND: { status: 404, message: 'The index holds no document {0}.' },
  DOCUMENT_FROM_FOLDER: { status: 409, message: 'The document {0} comes from the corpus folder: change it there, or put it under another path.' },
  CORPUS_EMPTY: { status: 400, message: 'The corpus folder {0} holds no document with text to index (plain text, Markdown, HTML, PDF or .docx).{1}' },
  CORPUS_MISSING: { status: 400, message: 'The corpus folder {0} does not exist.' },
  PORT_IN_USE: { status: 500, message: 'Port {0} on {1} is already in use: stop what listens there, or set PORT.' },
  EVAL_INPUT_INVALID: { status: 400, message: 'The evaluation input {0} cannot be used: {1}' },
  CONFIG_INVALID: { status: 500, message: 'The configuration is not valid: {0}' },
  INTERNAL: { status: 500, message: 'An internal error occurred.' },
} as const satisfies Record<string, { status: number; message: string; public?: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorIssue {
  path: string;
  message: string;
}

/** An error with a catalogue code; `args` fill the message template's {0}, {1}, … */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues?: ErrorIssue[];

  constructor(code: ErrorCode, ...args: Array<string | number | ErrorIssue[]>) {
    const issues = args.find((a): a is ErrorIssue[] => Array.isArray(a));
    const values = args.filter((a) => !Array.isArray(a)).map(String);
    super(ERRORS[code].message.replace(/\{(\d+)\}/g, (_, i) => values[Number(i)] ?? ''));
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.issues = issues;
  }
}

/**
 * The one JSON error body every failing response carries. `publicOnly` (HTTP) gives the catalogue's public wording
 * where it has one: no folder, address, pid or raw system message reaches a client; the log has the details.
 */
export function errorBody(err: AppError, publicOnly = false): { error: { code: ErrorCode; message: string; issues?: ErrorIssue[] } } {
  const wording = publicOnly ? publicMessage(err.code) : null;
  const message = wording ?? err.message;
  return { error: { code: err.code, message, ...(err.issues ? { issues: err.issues } : {}) } };
}

/** The public wording of an error code (for /health), or null when the code has none. */
export function publicMessage(code: string): string | null {
  return (ERRORS as Record<string, { public?: string }>)[code]?.public ?? null;
}
