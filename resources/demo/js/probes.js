/**
 * window.demoProbes: what flagdeck's verifier calls over DevTools (Runtime.evaluate with
 * awaitPromise). Every probe resolves plain JSON and never rejects (a failure is `{ok: false,
 * error}`). Operations run through the ACTIVE data path; set-up, checks and undo use raw
 * IndexedDB, so a probe run leaves the real data counts unchanged even when the path is broken.
 * Documented in ../PROBES.md.
 */

import { loggerService } from './logger.js';
import { DB_NAME, rawCounts, request, withTransaction } from './storage/idb.js';
import { PROBE_AGENT_ID, SCRATCH_TOPIC_ID } from './storage/model.js';
import { probeAttachment, round, workloadProbes } from './workloadProbes.js';
import {
  cleanupScratch, ensureScratchTopic, insertScratchMessage, readMessage, restoreMessage, topicRawCounts,
} from './storage/scratch.js';

const errorText = (error) => String(error?.message ?? error);

async function timed(body) {
  const t0 = performance.now();
  const value = await body();
  return { value, ms: round(performance.now() - t0) };
}

/** Wrap a probe so it always resolves JSON: `{ok: false, error}` instead of a rejection. */
function guarded(name, probe, pathName) {
  return async (...args) => {
    try {
      return await probe(...args);
    } catch (error) {
      return { ok: false, probe: name, path: pathName, error: errorText(error) };
    }
  };
}

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Topics by stored message count, largest first (raw; the scratch topic excluded). */
function topicsBySize(db) {
  return withTransaction(db, ['topics', 'messages'], 'readonly', async (tx) => {
    const keys = await request(tx.objectStore('topics').getAllKeys());
    const ids = keys.filter((id) => id !== SCRATCH_TOPIC_ID);
    const index = tx.objectStore('messages').index('topicId');
    const counts = await Promise.all(ids.map((id) => request(index.count(id))));
    return ids.map((id, i) => ({ id, messages: counts[i] })).sort((a, b) => b.messages - a.messages || byId(a, b));
  });
}

/** Every topic's messages and blocks through `path` (sorted by topic id); failed loads counted. */
async function loadEverything(path) {
  const topics = [...(await path.listTopics())].sort(byId);
  const loaded = [];
  let errors = 0;
  for (const topic of topics) {
    try {
      loaded.push({ topicId: topic.id, ...(await path.loadTopicMessages(topic.id)) });
    } catch {
      errors += 1;
    }
  }
  return { topics, loaded, errors };
}

export function createProbes({ db, path, faults, flags, flagSources, boot }) {
  const problemsOf = (checks) => checks.filter(([ok]) => !ok).map(([, problem]) => problem);

  async function largestTopicId() {
    const [largest] = await topicsBySize(db);
    if (!largest) throw new Error('no topics');
    return largest.id;
  }

  /** Edit/delete either a scratch message (no id) or a real one, undone from a raw snapshot. */
  async function withTarget(id, body) {
    const snapshot = id ? await readMessage(db, id) : null;
    if (id && !snapshot.message) throw new Error(`message ${id} not found`);
    const messageId = id ?? (await insertScratchMessage(db, 'flagdeck probe message')).message.id;
    try {
      return await body(messageId);
    } finally {
      if (snapshot) {
        const { blocks, files } = await readMessage(db, id);
        await withTransaction(db, ['message_blocks', 'files'], 'readwrite', (tx) => {
          blocks.forEach((b) => tx.objectStore('message_blocks').delete(b.id));
          files.forEach((f) => tx.objectStore('files').delete(f.id));
        });
        await restoreMessage(db, snapshot);
      }
      await cleanupScratch(db);
    }
  }

  const probes = {
    async loadTopicMessages(topicId) {
      const id = topicId ?? (await largestTopicId());
      const raw = await topicRawCounts(db, id);
      const base = { path: path.name, topicId: id, rawMessages: raw.messages, rawBlocks: raw.blocks };
      const t0 = performance.now();
      const elapsed = () => round(performance.now() - t0);
      try {
        const { messages, blocks } = await path.loadTopicMessages(id);
        const ok = messages.length === raw.messages && blocks.length === raw.blocks;
        return { ok, ms: elapsed(), messages: messages.length, blocks: blocks.length, ...base };
      } catch (error) {
        return { ok: false, ms: elapsed(), messages: 0, blocks: 0, error: errorText(error), ...base };
      }
    },

    async sendMessageWithAttachment() {
      await ensureScratchTopic(db);
      const attachment = probeAttachment();
      try {
        const { value: sent, ms } = await timed(() =>
          path.sendMessage(SCRATCH_TOPIC_ID, { content: 'flagdeck probe: message with attachment', attachment }),
        );
        const stored = await readMessage(db, sent.message.id);
        const file = stored.files[0] ?? null;
        const storedSize = file?.data?.size ?? file?.data?.byteLength;
        const problems = problemsOf([
          [stored.message !== null, 'message not stored'],
          [stored.blocks.some((b) => b.type === 'main_text'), 'text block missing'],
          [stored.blocks.some((b) => b.type === 'file'), 'file block missing'],
          [file !== null, 'attachment file missing'],
          [!file || storedSize === attachment.data.size, 'attachment size differs'],
        ]);
        const fileId = file?.id ?? null;
        return { ok: !problems.length, ms, messageId: sent.message.id, fileId, path: path.name, problems };
      } finally {
        await cleanupScratch(db);
      }
    },

    editMessage(id) {
      return withTarget(id, async (messageId) => {
        const content = `flagdeck probe edit ${Date.now()}`;
        const { ms } = await timed(() => path.editMessage(messageId, content));
        const stored = await readMessage(db, messageId);
        const edited = stored.blocks.some((b) => b.type === 'main_text' && b.content === content);
        const problems = problemsOf([[edited, 'edit not stored']]);
        return { ok: !problems.length, ms, messageId, path: path.name, problems };
      });
    },

    deleteMessage(id) {
      return withTarget(id, async (messageId) => {
        const { ms } = await timed(() => path.deleteMessage(messageId));
        const stored = await readMessage(db, messageId);
        const problems = problemsOf([
          [stored.message === null, 'message still stored'],
          [stored.blocks.length === 0, 'blocks still stored'],
        ]);
        return { ok: !problems.length, ms, messageId, path: path.name, problems };
      });
    },

    async startAgentSession() {
      await ensureScratchTopic(db);
      try {
        const { value: session, ms } = await timed(() =>
          path.startAgentSession({ agentId: PROBE_AGENT_ID, topicId: SCRATCH_TOPIC_ID }),
        );
        const read = () => withTransaction(db, ['agent_sessions'], 'readonly', (tx) =>
          request(tx.objectStore('agent_sessions').get(session.id)),
        );
        const started = await read();
        const { ms: endMs } = await timed(() => path.endAgentSession(session.id));
        const ended = await read();
        const problems = problemsOf([
          [started?.status === 'active', 'session not stored as active'],
          [ended?.status === 'ended', 'session not ended'],
        ]);
        return { ok: !problems.length, ms, endMs, sessionId: session.id, path: path.name, problems };
      } finally {
        await cleanupScratch(db);
      }
    },

    /** Topics with their stored message counts, largest first (raw, scratch topic excluded). */
    async topics() {
      return topicsBySize(db);
    },

    async counts() {
      return { database: DB_NAME, stores: await rawCounts(db) };
    },

    async visibleCounts() {
      const { topics, loaded, errors } = await loadEverything(path);
      const blocks = loaded.flatMap((topic) => topic.blocks);
      return {
        path: path.name,
        topics: topics.length,
        messages: loaded.reduce((n, topic) => n + topic.messages.length, 0),
        blocks: blocks.length,
        files: new Set(blocks.filter((b) => b.fileId).map((b) => b.fileId)).size,
        agentSessions: (await path.listAgentSessions()).length,
        errors,
      };
    },

    /** A SHA-256 over every message and block the active path returns: equal digests = same data. */
    async digest() {
      const { topics, loaded, errors } = await loadEverything(path);
      const lines = [];
      for (const { topicId, messages, blocks } of loaded) {
        lines.push(`topic|${topicId}`);
        for (const m of messages) lines.push(`message|${m.id}|${m.role}|${m.updatedAt}|${m.blocks.join(',')}`);
        for (const b of [...blocks].sort(byId)) {
          lines.push(`block|${b.id}|${b.messageId}|${b.type}|${b.content ?? ''}|${b.fileId ?? ''}`);
        }
      }
      const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(lines.join('\n')));
      const sha256 = [...new Uint8Array(hash)].map((x) => x.toString(16).padStart(2, '0')).join('');
      const count = (prefix) => lines.filter((line) => line.startsWith(prefix)).length;
      const messages = count('message|');
      return { path: path.name, topics: topics.length, messages, blocks: count('block|'), errors, sha256 };
    },

    async health() {
      const logs = loggerService.getLogs().filter((entry) => entry.level === 'error');
      const memory = performance.memory;
      return {
        ok: boot.state === 'ready',
        path: path.name,
        flags: { ...flags },
        flagSources: { ...flagSources },
        errors: logs.length,
        recentErrors: logs.slice(-5),
        startedAt: boot.startedAt,
        uptimeMs: Math.round(performance.now()),
        heapMB: memory ? Math.round((memory.usedJSHeapSize / 1048576) * 10) / 10 : null,
        boot: { ...boot },
      };
    },

    async cleanup() {
      return { ok: true, removed: await cleanupScratch(db) };
    },
  };

  const all = { ...probes, ...workloadProbes({ db, path, faults, topicsBySize, largestTopicId }) };
  const wrapped = Object.entries(all).map(([name, fn]) => [name, guarded(name, fn, path.name)]);
  return Object.freeze(Object.fromEntries(wrapped));
}
