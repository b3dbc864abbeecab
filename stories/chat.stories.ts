import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '../src/components/chat/rtc-chat.js';
import type { CallState } from '../src/core/call-state.js';
import { deep, deepAll, find, text, typeInto } from './support/dom.js';
import { scriptedCall, type CallScript, type ScriptedCall } from './support/scripted-call.js';

interface ChatArgs {
  state: CallState;
  someoneConnected: boolean;
  conversation: boolean;
  lang: 'en' | 'nl';
  height: string;
  maxFileSize: number;
}

const scripted = { table: { category: 'Scripted call' } } as const;

const CONVERSATION: Pick<CallScript, 'chat' | 'transfers'> = {
  chat: [
    { from: 'p1', text: 'Hi all! Agenda for today: roadmap, then hiring.', minutesAgo: 6 },
    { from: 'p2', text: 'Sounds good.', minutesAgo: 5 },
    { from: 'self', text: 'I’ll share the numbers in a minute.', minutesAgo: 4 },
    { from: 'p1', text: 'Plain text only: <b>this is not bold</b>', minutesAgo: 3 },
  ],
  transfers: [
    { id: 'done', name: 'roadmap-q3.pdf', size: 1_830_000, state: 'done', direction: 'receive', peerId: 'p1', peerName: 'Ada Lovelace' },
    { id: 'incoming', name: 'team-photo.jpg', size: 5_400_000, state: 'active', transferred: 2_100_000, direction: 'receive', peerId: 'p2', peerName: 'Grace Hopper' },
    { id: 'outgoing', name: 'numbers.xlsx', size: 240_000, state: 'active', transferred: 60_000, direction: 'send' },
    { id: 'failed', name: 'recording.webm', size: 48_000_000, state: 'failed', direction: 'receive', error: 'The connection closed' },
  ],
};

const meta = {
  title: 'Elements/rtc-chat',
  component: 'rtc-chat',
  render: (args, { id }) =>
    html`<rtc-chat
      .call=${scriptedCall(id, {
        state: args.state,
        people: [
          { id: 'p1', name: 'Ada Lovelace', connectionState: args.someoneConnected ? 'connected' : 'connecting' },
          { id: 'p2', name: 'Grace Hopper', connectionState: args.someoneConnected ? 'connected' : 'connecting' },
        ],
        maxFileSize: args.maxFileSize,
        ...(args.conversation ? CONVERSATION : {}),
      })}
      lang=${args.lang === 'en' ? nothing : args.lang}
      style="max-width: 420px; --rtc-chat-height: ${args.height}"
    ></rtc-chat>`,
  args: { state: 'joined', someoneConnected: true, conversation: true, lang: 'en', height: '28rem', maxFileSize: 200 * 1024 * 1024 },
  argTypes: {
    state: { ...scripted, control: 'select', options: ['idle', 'joining', 'joined', 'reconnecting', 'left', 'failed'] },
    someoneConnected: { ...scripted, description: 'Someone else is connected (to receive messages)' },
    conversation: { ...scripted, description: 'Messages and file transfers so far' },
    maxFileSize: { ...scripted, control: 'number', description: 'Largest file that may be sent, in bytes' },
    lang: { control: 'inline-radio', options: ['en', 'nl'] },
    height: { name: '--rtc-chat-height', control: 'text', table: { category: 'css custom properties' } },
  },
} satisfies Meta<ChatArgs>;

export default meta;
type Story = StoryObj<ChatArgs>;

async function chatIn(canvas: HTMLElement): Promise<HTMLElement & { call: ScriptedCall }> {
  const chat = await find(canvas, 'rtc-chat');
  await find(chat, '[part="messages"]');
  return chat as HTMLElement & { call: ScriptedCall };
}

function transfer(chat: Element, name: string): HTMLElement {
  return deepAll(chat, '[part~="transfer"]').find((t) => text(deep(t, '[part="file-name"]')) === name)!;
}

export const Conversation: Story = {
  play: async ({ canvasElement }) => {
    const chat = await chatIn(canvasElement);
    const messages = deepAll(chat, '[part~="message"]');
    expect(messages).toHaveLength(4);
    expect(messages.map((m) => text(deep(m, '[part="sender"]')))).toEqual(['Ada Lovelace', 'Grace Hopper', 'You', 'Ada Lovelace']);
    expect(messages[2]!.hasAttribute('data-self')).toBe(true);
    // Text is text: markup arrives as characters, never as elements.
    expect(text(deep(messages[3]!, '[part="text"]'))).toBe('Plain text only: <b>this is not bold</b>');
    expect(deep(messages[3]!, 'b')).toBeNull();
    expect(deep(chat, '[part="messages"]')!.getAttribute('role')).toBe('log');
    // Files: one to download, one coming in, one going out, one that failed.
    expect(deep<HTMLAnchorElement>(transfer(chat, 'roadmap-q3.pdf'), '[part="download"]')!.href).toMatch(/^blob:/);
    expect(text(deep(transfer(chat, 'team-photo.jpg'), '[part="file-state"]'))).toBe('Receiving… 38%');
    expect(text(deep(transfer(chat, 'team-photo.jpg'), '[part="file-direction"]'))).toBe('From Grace Hopper');
    expect(text(deep(transfer(chat, 'numbers.xlsx'), '[part="file-direction"]'))).toBe('To everyone');
    expect(text(deep(transfer(chat, 'recording.webm'), '[part="file-state"]'))).toBe('Failed: The connection closed');
    // Cancelling a transfer.
    deep<HTMLButtonElement>(transfer(chat, 'team-photo.jpg'), '[part="cancel-button"]')!.click();
    await waitFor(() => expect(text(deep(transfer(chat, 'team-photo.jpg'), '[part="file-state"]'))).toBe('Cancelled'));
  },
};

export const SendMessage: Story = {
  name: 'Send a message',
  args: { conversation: false },
  play: async ({ canvasElement }) => {
    const chat = await chatIn(canvasElement);
    expect(deepAll(chat, '[part~="message"]')).toHaveLength(0);
    expect(text(deep(chat, '[part="history-note"]'))).toBe('Messages sent before you joined are not shown.');
    const input = deep<HTMLInputElement>(chat, '[part="input"]')!;
    typeInto(input, '  Hello there  ');
    deep<HTMLButtonElement>(chat, '[part="send-button"]')!.click();
    await waitFor(() => expect(deepAll(chat, '[part~="message"]')).toHaveLength(1));
    expect(text(deep(chat, '[part~="message"] [part="text"]'))).toBe('Hello there');
    expect(input.value, 'the field is emptied for the next message').toBe('');
    expect(chat.call.snapshot.chat.at(-1)!.self).toBe(true);
    // A message from someone else arrives.
    chat.call.receiveChat('p1', 'Hi!');
    await waitFor(() => expect(deepAll(chat, '[part~="message"]')).toHaveLength(2));
  },
};

export const SendFile: Story = {
  name: 'Send a file (and one too large)',
  args: { conversation: false, maxFileSize: 4096 },
  play: async ({ canvasElement }) => {
    const chat = await chatIn(canvasElement);
    const choose = (file: File): void => {
      const picker = deep<HTMLInputElement>(chat, '[part="file-input"]')!;
      const files = new DataTransfer();
      files.items.add(file);
      picker.files = files.files;
      picker.dispatchEvent(new Event('change', { bubbles: true }));
    };
    choose(new File(['x'.repeat(2000)], 'notes.txt', { type: 'text/plain' }));
    await waitFor(() => expect(transfer(chat, 'notes.txt')).toBeTruthy());
    expect(transfer(chat, 'notes.txt').dataset['direction']).toBe('send');
    await waitFor(() => expect(text(deep(transfer(chat, 'notes.txt'), '[part="file-state"]'))).toBe('Done'), { timeout: 5000 });
    // Over the limit: refused, with the reason in words.
    choose(new File(['x'.repeat(5000)], 'big.bin'));
    const error = await find(chat, '[part="error"]');
    expect(error.getAttribute('role')).toBe('alert');
    expect(text(error)).toMatch(/^“big\.bin” is too large to send\. Files can be at most 4 kB\.$/);
  },
};

export const Alone: Story = {
  name: 'Nobody else connected',
  args: { someoneConnected: false, conversation: false },
  play: async ({ canvasElement }) => {
    const chat = await chatIn(canvasElement);
    expect(text(deep(chat, '[part="status"]'))).toBe('You can send messages once someone else is here.');
    expect(deep<HTMLInputElement>(chat, '[part="input"]')!.disabled).toBe(true);
    expect(deep<HTMLInputElement>(chat, '[part="input"]')!.getAttribute('aria-describedby')).toBe('status');
  },
};

export const NotJoined: Story = {
  name: 'Before joining',
  args: { state: 'idle', conversation: false },
  play: async ({ canvasElement }) => {
    const chat = await chatIn(canvasElement);
    expect(text(deep(chat, '[part="status"]'))).toBe('Join the call to chat.');
    expect(deep<HTMLButtonElement>(chat, '[part="send-button"]')!.disabled).toBe(true);
  },
};

export const Dutch: Story = {
  name: 'In Dutch (lang=nl)',
  args: { lang: 'nl' },
  play: async ({ canvasElement }) => {
    const chat = await chatIn(canvasElement);
    expect(text(deep(chat, '[part="send-button"]'))).toBe('Versturen');
    expect(text(deep(chat, '[part="history-note"]'))).toMatch(/^Berichten/);
    expect(text(deep(chat, '[part~="message"][data-self] [part="sender"]'))).toBe('Jij');
  },
};
