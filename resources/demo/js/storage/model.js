/**
 * Record shapes shared by seeding, both data paths and the probes (so the paths differ only in
 * how they read and write, never in what a message is).
 *
 *   topic    {id, name, assistantId, createdAt, updatedAt}
 *   message  {id, topicId, role, assistantId, status, createdAt, updatedAt, blocks: [blockId]}
 *   block    {id, messageId, type: 'main_text'|'code'|'thinking'|'file', content?, language?,
 *             fileId?, status, createdAt}
 *   file     {id, messageId, name, origin_name, ext, type, mime, size, count, created_at,
 *             data: Blob|ArrayBuffer}
 *   session  {id, agentId, topicId, status: 'active'|'ended', startedAt, endedAt}
 */

export const SCRATCH_TOPIC_ID = '__flagdeck_scratch__';
export const PROBE_AGENT_ID = 'flagdeck-probe-agent';

export function newId(prefix) {
  return `${prefix}-${crypto.randomUUID()}`;
}

export function isoTime(ms = Date.now()) {
  return new Date(ms).toISOString();
}

export function topicRecord({ id = newId('topic'), name, assistantId = 'default', at = Date.now() }) {
  return { id, name, assistantId, createdAt: isoTime(at), updatedAt: isoTime(at) };
}

export function blockRecord(messageId, type, fields, at) {
  return { id: newId('block'), messageId, type, status: 'success', createdAt: isoTime(at), ...fields };
}

export function fileRecord(messageId, { name, mime, data, size }, at) {
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.')) : '';
  return {
    id: newId('file'),
    messageId,
    name,
    origin_name: name,
    ext,
    type: mime.startsWith('image/') ? 'image' : mime.startsWith('text/') ? 'text' : 'document',
    mime,
    size,
    count: 1,
    created_at: isoTime(at),
    data,
  };
}

/**
 * A complete message ready to store: the message, its blocks (main text, then any extra block
 * specs, then a file block when there is an attachment) and the file record.
 *
 * `attachment`: {name, mime, data: Blob|ArrayBuffer}; `extraBlocks`: [{type, ...fields}].
 */
export function composeMessage(topicId, options) {
  const { content, role = 'user', attachment = null, extraBlocks = [], at = Date.now() } = options;
  const message = {
    id: newId('msg'),
    topicId,
    role,
    assistantId: 'default',
    status: 'success',
    createdAt: isoTime(at),
    updatedAt: isoTime(at),
    blocks: [],
  };
  const blocks = [blockRecord(message.id, 'main_text', { content }, at)];
  for (const { type, ...fields } of extraBlocks) blocks.push(blockRecord(message.id, type, fields, at));
  let file = null;
  if (attachment) {
    const size = attachment.data instanceof Blob ? attachment.data.size : attachment.data.byteLength;
    file = fileRecord(message.id, { ...attachment, size }, at);
    blocks.push(blockRecord(message.id, 'file', { fileId: file.id, content: file.name }, at));
  }
  message.blocks = blocks.map((block) => block.id);
  return { message, blocks, file };
}

export function sessionRecord({ agentId, topicId, at = Date.now() }) {
  return { id: newId('session'), agentId, topicId, status: 'active', startedAt: isoTime(at), endedAt: null };
}

/** The main text block of a message's blocks (the one an edit changes). */
export function mainTextBlock(blocks) {
  return blocks.find((block) => block.type === 'main_text') ?? null;
}

/** A file record without its bytes (what operations return: plain JSON, cheap to pass around). */
export function fileMeta(file) {
  if (!file) return null;
  const { data: _data, ...meta } = file;
  return meta;
}

/** Conversation order. */
export function byCreatedAt(a, b) {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}
