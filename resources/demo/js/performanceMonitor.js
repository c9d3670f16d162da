/**
 * performanceMonitor, as the runbook calls it: `performanceMonitor.getAllComparisons()`.
 *
 * Every data-path operation is recorded (by paths/dataPath.js `instrument`) under its path name.
 * Normally only the active path has samples; `demoProbes.comparePaths()` runs both on the same
 * data and fills both sides. A comparison entry:
 *
 *   {operation, original: {avgMs, medianMs, count, errors} | null,
 *    unified: {...} | null, diffPct: (unified.avg - original.avg) / original.avg * 100 | null}
 */

const MAX_SAMPLES = 1000;

function stats(samples) {
  if (!samples?.length) return null;
  const times = samples.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
  const avg = times.length ? times.reduce((a, b) => a + b, 0) / times.length : null;
  const median = times.length ? times[Math.floor((times.length - 1) / 2)] : null;
  const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
  return { avgMs: round(avg), medianMs: round(median), count: times.length, errors: samples.length - times.length };
}

class PerformanceMonitor {
  #samples = new Map(); // operation → {original: [], unified: []}

  record(operation, path, ms, { ok = true } = {}) {
    if (!this.#samples.has(operation)) this.#samples.set(operation, { original: [], unified: [] });
    const list = this.#samples.get(operation)[path];
    list.push({ ms, ok, at: Date.now() });
    if (list.length > MAX_SAMPLES) list.shift();
  }

  getMetrics(operation) {
    const entry = this.#samples.get(operation);
    return entry ? { operation, original: stats(entry.original), unified: stats(entry.unified) } : null;
  }

  getAllComparisons() {
    return [...this.#samples.keys()].map((operation) => {
      const { original, unified } = this.getMetrics(operation);
      const diffPct = original?.avgMs && unified?.avgMs !== null && unified?.avgMs !== undefined
        ? Math.round(((unified.avgMs - original.avgMs) / original.avgMs) * 1000) / 10
        : null;
      return { operation, original, unified, diffPct };
    });
  }

  clear() { this.#samples.clear(); }
}

export const performanceMonitor = new PerformanceMonitor();
