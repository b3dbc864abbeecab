/**
 * The demo page served at `/`: a form to pick a room, and the call itself once a valid
 * room is in the query (`/?room=team-standup`). Plain HTML, every interpolated value escaped.
 */
import { randomBytes } from 'node:crypto';
import { LIMITS, ROOM_PATTERN } from '../src/protocol/index.js';

/** What the demo page shows. */
export interface DemoPageOptions {
  /** The `room` query parameter as received, if any. */
  room?: string | null | undefined;
  /** False when the browser bundle has not been built, so the page can say so. Default true. */
  bundleAvailable?: boolean;
  /** The room name the form offers; a random one by default. */
  suggestedRoom?: string;
}

/** The HTML `pattern` for room names, the same rule as `ROOM_PATTERN` (escaped for the `v` flag browsers use). */
const ROOM_INPUT_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}';

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Renders the demo page: the call when `room` is a valid room name, otherwise the room form. */
export function renderDemoPage(options: DemoPageOptions = {}): string {
  const { room, bundleAvailable = true } = options;
  if (room && ROOM_PATTERN.test(room)) return callPage(room, bundleAvailable);
  // Quoted back so the person sees what was wrong, but not at any length.
  const shown = room && room.length > 80 ? `${room.slice(0, 80)}…` : room;
  const error = room ? `"${shown}" is not a valid room name.` : undefined;
  return formPage(options.suggestedRoom ?? randomRoomName(), error);
}

function randomRoomName(): string {
  return `demo-${randomBytes(4).toString('hex')}`;
}

function formPage(suggestedRoom: string, error: string | undefined): string {
  const describedBy = error ? 'room-error room-hint' : 'room-hint';
  const body = `
  <main class="card">
    <h1>rtc-elements demo</h1>
    <p>Start a video call, or join one: everyone who opens the same room meets there.</p>
    <form method="get" action="/">
      <label for="room">Room name</label>
      ${error ? `<p id="room-error" class="error" role="alert">${escapeHtml(error)}</p>` : ''}
      <input id="room" name="room" type="text" required autocomplete="off" spellcheck="false"
        maxlength="${LIMITS.maxRoomLength}" pattern="${escapeHtml(ROOM_INPUT_PATTERN)}"
        value="${escapeHtml(suggestedRoom)}" aria-describedby="${describedBy}"${error ? ' aria-invalid="true"' : ''}>
      <p id="room-hint" class="hint">Letters, digits, and <code>-</code> <code>_</code> <code>.</code>,
        starting with a letter or digit, up to ${LIMITS.maxRoomLength} characters.</p>
      <button type="submit">Join room</button>
    </form>
  </main>`;
  return page(body, '');
}

function callPage(room: string, bundleAvailable: boolean): string {
  const roomText = escapeHtml(room);
  const missing = bundleAvailable
    ? ''
    : `<p class="error" role="alert">The browser bundle is missing on this server: run <code>npm run build</code>, then reload.</p>`;
  const body = `
  <header class="bar">
    <h1>rtc-elements demo</h1>
    <p>Room <strong>${roomText}</strong>: share this page's address to invite others.</p>
    <a href="/">Choose another room</a>
  </header>
  ${missing}
  <main class="call">
    <rtc-call room="${roomText}"></rtc-call>
    <noscript><p class="error">The call needs JavaScript.</p></noscript>
  </main>`;
  return page(body, '\n  <script src="/rtc-elements.iife.min.js"></script>');
}

function page(body: string, scripts: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>rtc-elements demo</title>
  <style>
    :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
    body { margin: 0; min-height: 100vh; min-height: 100dvh; display: flex; flex-direction: column; }
    h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
    code { font-size: .95em; }
    a { color: LinkText; }
    .card { margin: auto; padding: 2rem; max-width: 28rem; width: calc(100% - 2rem); box-sizing: border-box; }
    form { display: grid; gap: .5rem; }
    label { font-weight: 600; }
    input { font: inherit; padding: .6rem .75rem; border: 1px solid GrayText; border-radius: .5rem; }
    input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid Highlight; outline-offset: 2px; }
    button { font: inherit; font-weight: 600; padding: .6rem 1rem; border: 0; border-radius: .5rem;
             background: #2557d6; color: #fff; cursor: pointer; justify-self: start; }
    button:hover { background: #1d46ad; }
    .hint { margin: 0; font-size: .9rem; opacity: .8; }
    .error { margin: 0; color: #c62828; font-weight: 600; }
    .bar { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1.5rem; padding: .75rem 1rem; }
    .bar h1 { font-size: 1.1rem; margin: 0; }
    .bar p { margin: 0; }
    .call { flex: 1; display: flex; min-height: 0; padding: 0 1rem 1rem; }
    rtc-call { flex: 1; display: block; min-height: 20rem; }
  </style>
</head>
<body>${body}${scripts}
</body>
</html>
`;
}
