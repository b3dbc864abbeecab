/**
 * Chat messages as they travel over the `chat` data channel. Only the id, text and time
 * travel; who sent it is known from the connection it came over, never from the message.
 */

/** One negotiated channel per peer connection, the same id on both sides. */
export const CHAT_CHANNEL_ID = 0;
export const CHAT_CHANNEL_LABEL = 'chat';
/** Longest message accepted, in UTF-16 code units. */
export const MAX_CHAT_LENGTH = 4000;

/** A chat message as the call shows it. `text` is plain text: render it as text, never as HTML. */
export interface ChatMessage {
  readonly id: string;
  /** Participant id of the sender (our own id for messages we sent). */
  readonly from: string;
  readonly fromName: string;
  readonly text: string;
  /** Milliseconds since the epoch, by the sender's clock. */
  readonly sentAt: number;
  /** True for messages this device sent. */
  readonly self: boolean;
}

export interface ChatWire {
  id: string;
  text: string;
  sentAt: number;
}

export function encodeChat(message: ChatWire): string {
  return JSON.stringify({ id: message.id, text: message.text, sentAt: message.sentAt });
}

/** Parses what arrived on the channel; anything malformed or oversized is dropped (null). */
export function decodeChat(raw: unknown): ChatWire | null {
  if (typeof raw !== 'string' || raw.length > MAX_CHAT_LENGTH * 6 + 200) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { id, text, sentAt } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_CHAT_LENGTH) return null;
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt)) return null;
  return { id, text, sentAt };
}

/** Checks and trims text before sending; throws on empty or oversized text. */
export function normalizeChatText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new RangeError('A chat message cannot be empty');
  if (trimmed.length > MAX_CHAT_LENGTH) throw new RangeError(`A chat message can have at most ${MAX_CHAT_LENGTH} characters`);
  return trimmed;
}
