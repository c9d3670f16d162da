/**
 * Fault injection for the unified path (`--fault` on the host). Faults are armed only when the
 * unified path is the ACTIVE path (USE_UNIFIED_DB_SERVICE truthy): with the flag off nothing here
 * runs, which is what a Level-1 rollback must demonstrate. Mechanisms:
 *
 * - slow=F: message loads read their data again until they did F x the work (`repeatRead`: a
 *   cache re-validation that re-fetches); other operations wait (F-1) x their own measured
 *   duration after finishing (a timer, then a spin for the last ~2 ms). The unified path does the
 *   same IndexedDB work as the original, so either way the caller sees F x the original's cost.
 * - error-rate=P: before an operation, with probability P, throw (the DbService logs it with
 *   context 'DbService'); nothing is written by a failed operation.
 * - leak=MB_PER_MIN: a change-feed buffer that is filled every second and never drained retains
 *   MB_PER_MIN/60 MB per second of JS heap while the service lives.
 * - data-loss: reads drop every 10th message of a topic (a pagination off-by-one) with its blocks,
 *   and drop every 'file' block (a serializer that does not know the type); sends store the
 *   message with no blocks and no file.
 * - crash-on-start is handled at boot (main.js), before the service exists.
 */

const LEAK_TICK_MS = 1000;
const SPIN_MS = 2;
const DROP_EVERY = 10;
const LEAK_CHUNK = 65_536;

/** Wait `ms` accurately: a timer for the bulk, a spin for the remainder. */
export async function preciseDelay(ms) {
  const end = performance.now() + ms;
  if (ms > SPIN_MS + 1) await new Promise((resolve) => setTimeout(resolve, ms - SPIN_MS));
  while (performance.now() < end) { /* below timer resolution */ }
}

export class FaultInjector {
  #leakBuffer = [];
  #leakTimer = null;

  constructor(config, { armed }) {
    this.config = config;
    this.armed = Boolean(armed);
    if (this.armed && config.leakMbPerMin > 0) this.#startLeak(config.leakMbPerMin);
  }

  get dataLoss() { return this.armed && this.config.dataLoss; }

  beforeOperation() {
    const rate = this.armed ? this.config.errorRate : null;
    if (rate > 0 && Math.random() < rate) {
      throw new Error(`IndexedDB transaction aborted (injected fault error-rate=${rate})`);
    }
  }

  async afterOperation(elapsedMs) {
    const factor = this.armed ? this.config.slow : null;
    if (factor > 1) await preciseDelay((factor - 1) * elapsedMs);
  }

  /**
   * slow, for reads: `readAll()` again for each whole unit of F-1, then `readPart(fraction)` (the
   * same read over that fraction of the rows) for the rest, so a read does F x its work. Real
   * IndexedDB work: the ratio to the original path holds even when machine load slows all reads.
   */
  async repeatRead(readAll, readPart) {
    const extra = this.armed && this.config.slow > 1 ? this.config.slow - 1 : 0;
    for (let left = extra; left > 0.01; left -= 1) await (left >= 1 ? readAll() : readPart(left));
  }

  /** What a unified read returns under data-loss. */
  loseOnRead({ messages, blocks }) {
    if (!this.dataLoss) return { messages, blocks };
    const kept = messages.filter((_, i) => i % DROP_EVERY !== DROP_EVERY - 1);
    const keptIds = new Set(kept.map((message) => message.id));
    return { messages: kept, blocks: blocks.filter((b) => keptIds.has(b.messageId) && b.type !== 'file') };
  }

  /** What a unified send stores under data-loss. */
  loseOnWrite({ message, blocks, file }) {
    if (!this.dataLoss) return { message, blocks, file };
    return { message: { ...message, blocks: [] }, blocks: [], file: null };
  }

  #startLeak(mbPerMin) {
    const bytesPerTick = (mbPerMin * 1024 * 1024 * LEAK_TICK_MS) / 60_000;
    this.#leakTimer = setInterval(() => {
      // Arrays of doubles, in chunks small enough to stay fast (8 bytes per element, on the heap).
      for (let left = Math.round(bytesPerTick / 8); left > 0; left -= LEAK_CHUNK) {
        this.#leakBuffer.push(new Array(Math.min(left, LEAK_CHUNK)).fill(Math.random()));
      }
    }, LEAK_TICK_MS);
  }

  dispose() {
    if (this.#leakTimer) clearInterval(this.#leakTimer);
    this.#leakTimer = null;
    this.#leakBuffer = [];
  }
}
