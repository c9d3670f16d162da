/**
 * The performance probes of window.demoProbes (see ../PROBES.md): `runWorkload` for A/B runs
 * (one path per page load, compared across loads) and `comparePaths` (both paths in one page, on
 * the same data, filling performanceMonitor's comparisons). Wrapped by probes.js like the others.
 */

import { createDataPath, instrument } from './paths/dataPath.js';
import { performanceMonitor } from './performanceMonitor.js';
import { SCRATCH_TOPIC_ID } from './storage/model.js';
import { cleanupScratch, ensureScratchTopic, insertScratchMessage } from './storage/scratch.js';

export const round = (ms) => Math.round(ms * 100) / 100;

/** The 4 KB text file probes attach. */
export function probeAttachment() {
  const text = 'flagdeck probe attachment\n'.repeat(160);
  return { name: 'flagdeck-probe.txt', mime: 'text/plain', data: new Blob([text], { type: 'text/plain' }) };
}

export function workloadProbes({ db, path, faults, topicsBySize, largestTopicId }) {
  let otherPath = null;
  return {
    async runWorkload({ topics = 5 } = {}) {
      const timings = { loadTopicMessages: 0, sendMessage: 0, editMessage: 0, deleteMessage: 0 };
      const errors = [];
      const step = async (name, body) => {
        const t0 = performance.now();
        try {
          return await body();
        } catch (error) {
          errors.push(`${name}: ${String(error?.message ?? error)}`);
          return null;
        } finally {
          timings[name] += performance.now() - t0;
        }
      };
      const chosen = (await topicsBySize(db)).slice(0, topics).map((t) => t.id);
      const t0 = performance.now();
      for (const id of chosen) await step('loadTopicMessages', () => path.loadTopicMessages(id));
      await ensureScratchTopic(db);
      try {
        const sent = await step('sendMessage', () =>
          path.sendMessage(SCRATCH_TOPIC_ID, { content: 'flagdeck workload', attachment: probeAttachment() }),
        );
        const messageId = sent?.message.id ?? (await insertScratchMessage(db, 'flagdeck workload')).message.id;
        await step('editMessage', () => path.editMessage(messageId, 'flagdeck workload (edited)'));
        await step('deleteMessage', () => path.deleteMessage(messageId));
      } finally {
        await cleanupScratch(db);
      }
      timings.total = performance.now() - t0;
      for (const key of Object.keys(timings)) timings[key] = round(timings[key]);
      return { ok: !errors.length, path: path.name, topics: chosen, timings, errors };
    },

    /**
     * Load a topic on BOTH paths, alternating which goes first (the inactive path unarmed), to fill
     * performanceMonitor. `pairs` holds each iteration's two timings; `pairedRatio` is the median
     * of unified/original per pair, robust to load that shifts both samples of a pair alike.
     */
    async comparePaths({ iterations = 5, topicId } = {}) {
      const id = topicId ?? (await largestTopicId());
      const otherName = path.name === 'unified' ? 'original' : 'unified';
      otherPath ??= instrument(createDataPath(otherName, db, { faults, active: false }), performanceMonitor);
      const pairs = [];
      for (let i = 0; i < iterations; i++) {
        const pair = {};
        for (const p of i % 2 ? [otherPath, path] : [path, otherPath]) {
          const t0 = performance.now();
          const ok = await p.loadTopicMessages(id).then(() => true, () => false);
          pair[p.name] = ok ? round(performance.now() - t0) : null;
        }
        pairs.push(pair);
      }
      const ratios = pairs.filter((p) => p.original && p.unified).map((p) => p.unified / p.original);
      ratios.sort((a, b) => a - b);
      const pairedRatio = ratios.length ? round(ratios[Math.floor((ratios.length - 1) / 2)]) : null;
      return { topicId: id, iterations, pairs, pairedRatio, comparisons: performanceMonitor.getAllComparisons() };
    },
  };
}
