/**
 * loggerService, as the runbook queries it:
 *   loggerService.getLogs().filter(log => log.level === 'error' && log.context.includes('DbService'))
 *
 * Entries are `{level: 'info'|'warn'|'error', context, message, time}` (time: ISO string), kept in
 * a bounded ring so a long-running target does not grow. `record(..., {echo: false})` stores an
 * entry without printing it, for callers that print their own exact console line.
 */

const MAX_ENTRIES = 5000;
const CONSOLE = { info: 'log', warn: 'warn', error: 'error' };

class LoggerService {
  #entries = [];

  record(level, context, message, { echo = true } = {}) {
    const entry = { level, context, message: String(message), time: new Date().toISOString() };
    this.#entries.push(entry);
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    if (echo) console[CONSOLE[level] ?? 'log'](`[${context}] ${entry.message}`);
    return entry;
  }

  info(context, message) { return this.record('info', context, message); }
  warn(context, message) { return this.record('warn', context, message); }
  error(context, message) { return this.record('error', context, message); }

  /** A logger bound to one context, e.g. `loggerService.withContext('DbService').error(...)`. */
  withContext(context) {
    return {
      context,
      info: (message) => this.info(context, message),
      warn: (message) => this.warn(context, message),
      error: (message) => this.error(context, message),
    };
  }

  /** Copies of all entries, oldest first (plain objects: they cross DevTools by value). */
  getLogs() { return this.#entries.map((entry) => ({ ...entry })); }

  errorCount() { return this.#entries.filter((entry) => entry.level === 'error').length; }

  clear() { this.#entries.length = 0; }
}

export const loggerService = new LoggerService();
