/**
 * First-start seeding: a few thousand messages across ~20 topics, 1-3 blocks each, some file
 * attachments (Blobs and ArrayBuffers) and several agent sessions, written in ONE readwrite
 * transaction over all stores. A `settings` record `{id: 'seed'}` written in the same transaction
 * makes it idempotent: a restart (or a different --seed-messages) never seeds again.
 *
 * Content is generated from a fixed pseudo-random sequence, so every profile has the same shape
 * (same topic sizes, same largest topic) while ids stay random like the real app's.
 */

import { request, withTransaction } from './idb.js';
import { composeMessage, isoTime, topicRecord } from './model.js';

export const SEED_RECORD_ID = 'seed';
const SEED_VERSION = 1;
const BASE_TIME = Date.UTC(2025, 8, 1, 9, 0, 0);
const AGENT_SESSIONS = 6;

const TOPIC_NAMES = [
  'Release notes draft', 'SQL query tuning', 'Trip to Lisbon', 'Rust lifetimes', 'Weekly planning',
  'Kubernetes probes', 'Recipe ideas', 'Resume review', 'React state bugs', 'Poetry translation',
  'Budget spreadsheet', 'Electron packaging', 'Math homework', 'Garden layout', 'API design review',
  'Docker cleanup', 'Book club notes', 'Regex help', 'Interview prep', 'Home network',
];
const OPENERS = ['Can you explain', 'Please summarise', 'How would you improve', 'Why does', 'Compare'];
const SUBJECTS = ['the migration plan', 'this error message', 'the cache layer', 'my draft', 'the benchmark'];
const DETAILS = [
  'Keep it short.', 'Give me three options.', 'Use a table if it helps.', 'Assume a beginner.',
  'Focus on the trade-offs.', 'Mention the risks first.',
];

/** mulberry32: a tiny deterministic PRNG, so seeded profiles look alike. */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

/** Messages per topic: uneven (weights 1..10), summing to `total`. */
function topicSizes(total, topicCount) {
  const weights = Array.from({ length: topicCount }, (_, i) => 1 + ((i * 7) % 10));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((total * w) / sum));
  let rest = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % topicCount, rest--) sizes[i] += 1;
  return sizes;
}

function attachmentFor(rand, n) {
  if (n % 2 === 0) {
    const bytes = new Uint8Array(2048 + Math.floor(rand() * 16384)).map(() => Math.floor(rand() * 256));
    return { name: `screenshot-${n}.png`, mime: 'image/png', data: new Blob([bytes], { type: 'image/png' }) };
  }
  const text = `notes ${n}\n`.repeat(50 + Math.floor(rand() * 200));
  return { name: `notes-${n}.txt`, mime: 'text/plain', data: new TextEncoder().encode(text).buffer };
}

function assistantText(rand) {
  return `${pick(rand, ['Sure.', 'Here is an outline.', 'Good question.'])} ${pick(rand, DETAILS)} `.repeat(
    2 + Math.floor(rand() * 6),
  );
}

/** All records for a profile with `total` messages. */
export function generateSeed(total) {
  const rand = prng(20250901);
  // ~20 topics; a tiny seed gets about 10 messages per topic (and at least one topic).
  const topicCount = Math.min(TOPIC_NAMES.length, Math.max(1, Math.ceil(total / 10)));
  const topics = [], messages = [], blocks = [], files = [], sessions = [];
  const sizes = topicSizes(total, topicCount);
  let n = 0;
  sizes.forEach((size, t) => {
    const start = BASE_TIME + t * 3_600_000;
    const topic = topicRecord({ name: TOPIC_NAMES[t], at: start });
    for (let i = 0; i < size; i++, n++) {
      const at = start + i * 60_000;
      const role = i % 2 === 0 ? 'user' : 'assistant';
      const content = role === 'user'
        ? `${pick(rand, OPENERS)} ${pick(rand, SUBJECTS)}? ${pick(rand, DETAILS)}`
        : assistantText(rand);
      const extraBlocks = [];
      if (role === 'assistant' && rand() < 0.3) {
        extraBlocks.push({ type: 'code', language: 'python', content: `print(${n})\n` });
      }
      if (role === 'assistant' && rand() < 0.25) {
        extraBlocks.push({ type: 'thinking', content: 'Considering the options.' });
      }
      const attachment = role === 'user' && rand() < 0.1 ? attachmentFor(rand, n) : null;
      const composed = composeMessage(topic.id, { content, role, attachment, extraBlocks, at });
      messages.push(composed.message);
      blocks.push(...composed.blocks);
      if (composed.file) files.push(composed.file);
      topic.updatedAt = isoTime(at);
    }
    topics.push(topic);
  });
  for (let s = 0; s < AGENT_SESSIONS; s++) {
    const at = BASE_TIME + s * 86_400_000;
    sessions.push({
      id: `session-seed-${s + 1}`,
      agentId: `agent-${(s % 3) + 1}`,
      topicId: topics[s % topics.length]?.id ?? null,
      status: s < AGENT_SESSIONS - 2 ? 'ended' : 'active',
      startedAt: isoTime(at),
      endedAt: s < AGENT_SESSIONS - 2 ? isoTime(at + 1_800_000) : null,
    });
  }
  return { topics, messages, blocks, files, sessions };
}

const SEED_STORES = ['settings', 'topics', 'messages', 'message_blocks', 'files', 'agent_sessions'];

function seedRecord(db) {
  return withTransaction(db, ['settings'], 'readonly', (tx) => request(tx.objectStore('settings').get(SEED_RECORD_ID)));
}

/**
 * Seed `db` unless it was seeded before. Resolves `{seeded, ms, counts}`; `seeded` is false on
 * every start after the first (and then nothing is generated: the check comes first).
 */
export async function seedIfNeeded(db, total) {
  const t0 = performance.now();
  const previous = await seedRecord(db);
  if (previous) return { seeded: false, ms: Math.round(performance.now() - t0), counts: null, seed: previous };
  const data = generateSeed(total);
  const seeded = await withTransaction(db, SEED_STORES, 'readwrite', async (tx) => {
    const settings = tx.objectStore('settings');
    if (await request(settings.get(SEED_RECORD_ID))) return false; // another tab won the race
    const put = (store, records) => {
      const os = tx.objectStore(store);
      for (const record of records) os.put(record);
    };
    put('topics', data.topics);
    put('messages', data.messages);
    put('message_blocks', data.blocks);
    put('files', data.files);
    put('agent_sessions', data.sessions);
    settings.put({ id: SEED_RECORD_ID, version: SEED_VERSION, messages: total, at: isoTime() });
    return true;
  });
  const counts = {
    topics: data.topics.length,
    messages: data.messages.length,
    message_blocks: data.blocks.length,
    files: data.files.length,
    agent_sessions: data.sessions.length,
  };
  return { seeded, ms: Math.round(performance.now() - t0), counts, seed: null };
}
