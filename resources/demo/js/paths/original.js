/**
 * The original data path ("messageThunk" + Dexie calls in Cherry Studio): every operation opens
 * the transaction it needs and reads or writes the stores it touches directly. No layer, no cache.
 * This path is always healthy: faults exist only in the unified path.
 *
 * Operations (shared by both paths; see OPERATIONS in ./dataPath.js): listTopics, loadTopicMessages,
 * sendMessage, editMessage, deleteMessage, startAgentSession, endAgentSession, listAgentSessions,
 * countEntries.
 */

import { DATA_STORES, getAllByIndex, request, withTransaction } from '../storage/idb.js';
import { byCreatedAt, composeMessage, fileMeta, isoTime, mainTextBlock, sessionRecord } from '../storage/model.js';

export class OriginalPath {
  name = 'original';

  constructor(db) {
    this.db = db;
  }

  listTopics() {
    return withTransaction(this.db, ['topics', 'messages'], 'readonly', async (tx) => {
      const topics = await request(tx.objectStore('topics').getAll());
      const byTopic = tx.objectStore('messages').index('topicId');
      const counts = await Promise.all(topics.map((topic) => request(byTopic.count(topic.id))));
      return topics
        .map((topic, i) => ({ ...topic, messageCount: counts[i] }))
        .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
    });
  }

  loadTopicMessages(topicId) {
    return withTransaction(this.db, ['messages', 'message_blocks'], 'readonly', async (tx) => {
      const messages = (await getAllByIndex(tx, 'messages', 'topicId', topicId)).sort(byCreatedAt);
      const perMessage = await Promise.all(
        messages.map((message) => getAllByIndex(tx, 'message_blocks', 'messageId', message.id)),
      );
      return { messages, blocks: perMessage.flat() };
    });
  }

  async sendMessage(topicId, { content, attachment = null }) {
    const { message, blocks, file } = composeMessage(topicId, { content, attachment });
    await withTransaction(this.db, ['topics', 'messages', 'message_blocks', 'files'], 'readwrite', async (tx) => {
      if (file) tx.objectStore('files').put(file);
      for (const block of blocks) tx.objectStore('message_blocks').put(block);
      tx.objectStore('messages').put(message);
      const topics = tx.objectStore('topics');
      const topic = await request(topics.get(topicId));
      if (topic) topics.put({ ...topic, updatedAt: message.createdAt });
    });
    return { message, blocks, file: fileMeta(file) };
  }

  editMessage(messageId, content) {
    return withTransaction(this.db, ['messages', 'message_blocks'], 'readwrite', async (tx) => {
      const message = await request(tx.objectStore('messages').get(messageId));
      if (!message) throw new Error(`message ${messageId} not found`);
      const block = mainTextBlock(await getAllByIndex(tx, 'message_blocks', 'messageId', messageId));
      if (!block) throw new Error(`message ${messageId} has no text block`);
      const updated = { ...message, updatedAt: isoTime() };
      tx.objectStore('message_blocks').put({ ...block, content });
      tx.objectStore('messages').put(updated);
      return updated;
    });
  }

  deleteMessage(messageId) {
    return withTransaction(this.db, ['messages', 'message_blocks', 'files'], 'readwrite', async (tx) => {
      const message = await request(tx.objectStore('messages').get(messageId));
      if (!message) throw new Error(`message ${messageId} not found`);
      const blocks = await getAllByIndex(tx, 'message_blocks', 'messageId', messageId);
      for (const block of blocks) {
        if (block.fileId) tx.objectStore('files').delete(block.fileId);
        tx.objectStore('message_blocks').delete(block.id);
      }
      tx.objectStore('messages').delete(messageId);
      return { messageId, blocks: blocks.length };
    });
  }

  async startAgentSession({ agentId, topicId }) {
    const session = sessionRecord({ agentId, topicId });
    await withTransaction(this.db, ['agent_sessions'], 'readwrite', (tx) => {
      tx.objectStore('agent_sessions').put(session);
    });
    return session;
  }

  endAgentSession(sessionId) {
    return withTransaction(this.db, ['agent_sessions'], 'readwrite', async (tx) => {
      const store = tx.objectStore('agent_sessions');
      const session = await request(store.get(sessionId));
      if (!session) throw new Error(`agent session ${sessionId} not found`);
      const ended = { ...session, status: 'ended', endedAt: isoTime() };
      store.put(ended);
      return ended;
    });
  }

  listAgentSessions() {
    return withTransaction(this.db, ['agent_sessions'], 'readonly', (tx) =>
      request(tx.objectStore('agent_sessions').getAll()),
    );
  }

  countEntries() {
    return withTransaction(this.db, DATA_STORES, 'readonly', async (tx) => {
      const counts = await Promise.all(DATA_STORES.map((name) => request(tx.objectStore(name).count())));
      return Object.fromEntries(DATA_STORES.map((name, i) => [name, counts[i]]));
    });
  }

  dispose() {}
}
