/**
 * Raw, path-independent helpers the probes use to set up and undo their work. They talk to
 * IndexedDB directly (never through a data path), so clean-up works even when the active path is
 * failing or losing data. Everything a probe creates lives in the scratch topic
 * (`__flagdeck_scratch__`) or belongs to the probe agent, and `cleanupScratch` removes all of it.
 */

import { getAllByIndex, request, withTransaction } from './idb.js';
import { PROBE_AGENT_ID, SCRATCH_TOPIC_ID, composeMessage, topicRecord } from './model.js';

const MESSAGE_STORES = ['messages', 'message_blocks', 'files'];

export async function ensureScratchTopic(db) {
  await withTransaction(db, ['topics'], 'readwrite', async (tx) => {
    const topics = tx.objectStore('topics');
    if (!(await request(topics.get(SCRATCH_TOPIC_ID)))) {
      topics.put(topicRecord({ id: SCRATCH_TOPIC_ID, name: 'flagdeck scratch', assistantId: 'flagdeck' }));
    }
  });
  return SCRATCH_TOPIC_ID;
}

/** A message (text + code block) written straight into the scratch topic. */
export async function insertScratchMessage(db, content) {
  await ensureScratchTopic(db);
  const composed = composeMessage(SCRATCH_TOPIC_ID, {
    content, extraBlocks: [{ type: 'code', language: 'text', content: 'probe' }],
  });
  await withTransaction(db, MESSAGE_STORES, 'readwrite', (tx) => {
    for (const block of composed.blocks) tx.objectStore('message_blocks').put(block);
    tx.objectStore('messages').put(composed.message);
  });
  return composed;
}

/** A message as stored: {message | null, blocks, files} (files found through its file blocks). */
export function readMessage(db, messageId) {
  return withTransaction(db, MESSAGE_STORES, 'readonly', async (tx) => {
    const message = (await request(tx.objectStore('messages').get(messageId))) ?? null;
    const blocks = await getAllByIndex(tx, 'message_blocks', 'messageId', messageId);
    const fileIds = blocks.filter((block) => block.fileId).map((block) => block.fileId);
    const files = (await Promise.all(fileIds.map((id) => request(tx.objectStore('files').get(id))))).filter(Boolean);
    return { message, blocks, files };
  });
}

/** Put a message read by `readMessage` back exactly as it was (undo of an edit or delete). */
export function restoreMessage(db, { message, blocks, files }) {
  return withTransaction(db, MESSAGE_STORES, 'readwrite', (tx) => {
    for (const file of files) tx.objectStore('files').put(file);
    for (const block of blocks) tx.objectStore('message_blocks').put(block);
    if (message) tx.objectStore('messages').put(message);
  });
}

/** Stored message and block counts of one topic. */
export function topicRawCounts(db, topicId) {
  return withTransaction(db, ['messages', 'message_blocks'], 'readonly', async (tx) => {
    const ids = await request(tx.objectStore('messages').index('topicId').getAllKeys(topicId));
    const blockIndex = tx.objectStore('message_blocks').index('messageId');
    const perMessage = await Promise.all(ids.map((id) => request(blockIndex.count(id))));
    return { messages: ids.length, blocks: perMessage.reduce((a, b) => a + b, 0) };
  });
}

/** Remove everything probes made: scratch topic, its messages/blocks/files, probe sessions. */
export function cleanupScratch(db) {
  const stores = ['topics', 'agent_sessions', ...MESSAGE_STORES];
  return withTransaction(db, stores, 'readwrite', async (tx) => {
    const removed = { topics: 0, messages: 0, message_blocks: 0, files: 0, agent_sessions: 0 };
    const messageIds = await request(tx.objectStore('messages').index('topicId').getAllKeys(SCRATCH_TOPIC_ID));
    for (const messageId of messageIds) {
      const blockKeys = await request(tx.objectStore('message_blocks').index('messageId').getAllKeys(messageId));
      const fileKeys = await request(tx.objectStore('files').index('messageId').getAllKeys(messageId));
      blockKeys.forEach((key) => tx.objectStore('message_blocks').delete(key));
      fileKeys.forEach((key) => tx.objectStore('files').delete(key));
      tx.objectStore('messages').delete(messageId);
      removed.message_blocks += blockKeys.length;
      removed.files += fileKeys.length;
      removed.messages += 1;
    }
    const sessions = tx.objectStore('agent_sessions');
    const sessionKeys = new Set([
      ...(await request(sessions.index('topicId').getAllKeys(SCRATCH_TOPIC_ID))),
      ...(await request(sessions.index('agentId').getAllKeys(PROBE_AGENT_ID))),
    ]);
    sessionKeys.forEach((key) => sessions.delete(key));
    removed.agent_sessions = sessionKeys.size;
    if (await request(tx.objectStore('topics').get(SCRATCH_TOPIC_ID))) {
      tx.objectStore('topics').delete(SCRATCH_TOPIC_ID);
      removed.topics = 1;
    }
    return removed;
  });
}
