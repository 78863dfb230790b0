/**
 * One error family for everything a user can get wrong or the tool can refuse.
 * `code` is stable (scripts and docs refer to it); `where` names the file and field path.
 */
export class MplError extends Error {
  readonly code: string;
  readonly where: string | undefined;
  readonly detail: string | undefined;
  readonly retriable: boolean;

  constructor(
    code: string,
    message: string,
    opts: { where?: string; detail?: string; cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MplError';
    this.code = code;
    this.where = opts.where;
    this.detail = opts.detail;
    this.retriable = opts.retriable ?? false;
  }

  /** The one line a user sees: "<where>: <message> [code]". */
  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.detail ? `${head}\n  ${this.detail}` : head;
  }
}

/** Invalid input: a config, inventory, state or plan file that does not parse or validate. */
export class InputError extends MplError {
  constructor(where: string, message: string, detail?: string) {
    super('INVALID_INPUT', message, { where, ...(detail === undefined ? {} : { detail }) });
    this.name = 'InputError';
  }
}

/** The planner refuses the configuration (e.g. pattern 2 on KRaft); nothing is made. */
export class PlanRefused extends MplError {
  constructor(code: string, message: string, where?: string) {
    super(code, message, where === undefined ? {} : { where });
    this.name = 'PlanRefused';
  }
}
