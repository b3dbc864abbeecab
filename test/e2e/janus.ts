/**
 * A private Janus (Debian package `janus`, 1.1.x) for the SFU tests, following coturn.ts:
 * a configuration folder of its own in a temporary directory (nothing read from
 * `/etc/janus`), only the VideoRoom plugin and the WebSockets transport loaded, the
 * WebSockets API on 127.0.0.1 and a free port with an API secret, no Admin API, no event
 * handlers, no STUN, a bounded RTP port range, and ICE on one local address. Its log
 * (Janus prints it on stdout) is kept for failure messages; `JANUS_LOG=1` also echoes it
 * to this process's stderr.
 *
 * Gotchas the configuration below answers:
 * - `-F DIR` alone is not enough: `janus.jcfg` also names the plugin/transport folders,
 *   and without them Janus looks in `./plugins` etc. So the folders are given explicitly.
 * - Janus loads every plugin and transport it finds unless told otherwise
 *   (`plugins: { disable }`, `transports: { disable }`); the list is read from the
 *   installed folders so a newer package with more plugins is handled too.
 * - Janus cannot gather on loopback: its candidate loop skips every interface flagged
 *   IFF_LOOPBACK, so `ice_enforce_list = "lo"` (or "127.0.0.1") matches nothing, and with
 *   no address given libnice falls back to gathering on *every* non-loopback interface,
 *   IPv6 included, even though Janus says "IPv6 support disabled". So the enforce list
 *   names this machine's own IPv4 address instead (`iceAddress`): packets between two
 *   local addresses still travel over the kernel's loopback device and never leave the
 *   host, and only one candidate per connection is offered. A machine with no
 *   non-loopback IPv4 address cannot run these tests (`janusIceAddress()` is undefined).
 * - `ignore_mdns`: pages without a camera permission hide their addresses behind
 *   `.local` names; resolving them would need multicast DNS, which a test box lacks.
 *   Janus then learns the page's address from its connectivity checks (peer reflexive).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium } from '../browser.mjs';
import { freePort } from './coturn.js';
import { startDaemon } from './daemon.js';

/** Where Debian installs the Janus binary. */
export const JANUS_BIN = process.env.JANUS_PATH ?? '/usr/bin/janus';

/** Where Debian installs Janus's plugins, transports, event handlers and loggers (a `janus/` folder under the multiarch lib dir). */
export function janusLibDir(): string | undefined {
  if (process.env.JANUS_LIB_DIR) return process.env.JANUS_LIB_DIR;
  const candidates = ['/usr/lib/x86_64-linux-gnu/janus', '/usr/lib/aarch64-linux-gnu/janus', '/usr/lib/janus', '/opt/janus/lib/janus'];
  return candidates.find((dir) => existsSync(join(dir, 'plugins', 'libjanus_videoroom.so')));
}

/** True when Janus and its VideoRoom plugin and WebSockets transport are installed (`apt-get install janus`). */
export function janusAvailable(): boolean {
  const lib = janusLibDir();
  return existsSync(JANUS_BIN) && lib !== undefined && existsSync(join(lib, 'transports', 'libjanus_websockets.so'));
}

/**
 * The address Janus gathers ICE candidates on: `JANUS_ICE_ADDRESS`, else this machine's
 * first non-internal IPv4 address (see the note on loopback above).
 */
export function janusIceAddress(): string | undefined {
  if (process.env.JANUS_ICE_ADDRESS) return process.env.JANUS_ICE_ADDRESS;
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) return found.address;
  }
  return undefined;
}

/**
 * Extra Chromium flags for pages that talk to the test Janus: real host addresses in the
 * candidates instead of mDNS names (a page that never asked for the camera hides them
 * otherwise), so both ends meet on this machine's own address.
 */
/**
 * Why tests with a real Janus and real pages cannot run here, or false when they can.
 * In CI (which installs everything) a missing piece throws: a failure, not a skip.
 */
export function janusTestsMissing(what: string): string | false {
  const missing = !janusAvailable()
    ? 'Janus is not installed (apt-get install janus)'
    : !janusIceAddress()
      ? 'no non-loopback IPv4 address for Janus ICE (see test/e2e/janus.ts)'
      : !findChromium()
        ? 'Chromium is not installed'
        : false;
  if (missing && process.env.CI) throw new Error(`${what} cannot run: ${missing}`);
  return missing;
}

/** A room name no other test uses. */
export function roomName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Waits until `check` returns a truthy value, polling; fails with `describe()` after `ms`. */
export async function until<T>(check: () => T | Promise<T>, ms: number, describe: () => string): Promise<NonNullable<Awaited<T>>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<Awaited<T>>;
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const JANUS_BROWSER_FLAGS = ['--disable-features=WebRtcHideLocalIpsWithMdns'];

export interface RunningJanus {
  /** The WebSocket API URL, e.g. `ws://127.0.0.1:38211`. */
  url: string;
  /** The API secret every request must carry. */
  apiSecret: string;
  /** The RTP/ICE port range handed to Janus. */
  rtpPorts: { min: number; max: number };
  /** The one address Janus offers ICE candidates on. */
  iceAddress: string;
  /** Milliseconds from spawn until the WebSocket API accepted a connection. */
  startMs: number;
  /** The exact command line, for reports and failure messages. */
  command: string[];
  /** Everything Janus printed so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after 3 s; removes its temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** The `.so` files in one of Janus's module folders, except those to keep. */
function othersIn(folder: string, keep: string): string {
  if (!existsSync(folder)) return '';
  return readdirSync(folder)
    .filter((file) => file.endsWith('.so') && file !== keep)
    .join(',');
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The configuration files for one test Janus, by file name. */
export function janusConfig(options: {
  dir: string;
  lib: string;
  port: number;
  apiSecret: string;
  rtpPorts: { min: number; max: number };
  iceAddress: string;
}): Record<string, string> {
  const { dir, lib, port, apiSecret, rtpPorts, iceAddress } = options;
  const quote = (value: string): string => JSON.stringify(value);
  return {
    'janus.jcfg': `general: {
  configs_folder = ${quote(dir)}
  plugins_folder = ${quote(join(lib, 'plugins'))}
  transports_folder = ${quote(join(lib, 'transports'))}
  events_folder = ${quote(join(lib, 'events'))}
  loggers_folder = ${quote(join(lib, 'loggers'))}
  debug_level = ${Number(process.env.JANUS_DEBUG_LEVEL ?? 4)}
  server_name = "rtc-elements-test"
  api_secret = ${quote(apiSecret)}
  session_timeout = 60
}
media: {
  rtp_port_range = "${rtpPorts.min}-${rtpPorts.max}"
}
nat: {
  nice_debug = false
  ice_enforce_list = ${quote(iceAddress)}
  ignore_mdns = true
}
plugins: {
  disable = ${quote(othersIn(join(lib, 'plugins'), 'libjanus_videoroom.so'))}
}
transports: {
  disable = ${quote(othersIn(join(lib, 'transports'), 'libjanus_websockets.so'))}
}
loggers: {
  disable = ${quote(othersIn(join(lib, 'loggers'), ''))}
}
events: {
  broadcast = false
}
`,
    'janus.transport.websockets.jcfg': `general: {
  json = "compact"
  ws = true
  ws_port = ${port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
    // No rooms from the file: the signal server creates every room through the API.
    'janus.plugin.videoroom.jcfg': `general: {
}
`,
  };
}

/**
 * Starts Janus in the foreground with its own configuration folder and waits until its
 * WebSocket API accepts connections.
 */
export async function startJanus(options: { apiSecret?: string } = {}): Promise<RunningJanus> {
  const lib = janusLibDir();
  if (!existsSync(JANUS_BIN) || !lib) {
    throw new Error(`${JANUS_BIN} or its plugins not found: install Debian's janus (apt-get install janus)`);
  }
  const iceAddress = janusIceAddress();
  if (!iceAddress) throw new Error('no non-loopback IPv4 address for Janus to gather ICE candidates on (set JANUS_ICE_ADDRESS)');
  const started = Date.now();
  const port = await freePort();
  // Below Linux's ephemeral range (32768+) so no browser socket takes them, and away from
  // coturn.ts's 20000-28999 relay windows; a window picked at random so parallel runs rarely meet.
  const min = 10000 + Math.floor(Math.random() * 99) * 100;
  const rtpPorts = { min, max: min + 99 };
  const apiSecret = options.apiSecret ?? randomBytes(24).toString('base64url');
  const dir = await mkdtemp(join(tmpdir(), 'rtc-janus-'));
  for (const [name, text] of Object.entries(janusConfig({ dir, lib, port, apiSecret, rtpPorts, iceAddress }))) {
    await writeFile(join(dir, name), text, { mode: 0o600 });
  }
  const args = [
    `--configs-folder=${dir}`,
    `--config=${join(dir, 'janus.jcfg')}`,
    '--disable-colors',
    '--debug-timestamps',
  ];
  // Janus logs "WebSockets thread started" once the transport listens; the TCP probe is
  // what matters (the log line is only a cheaper first signal).
  const daemon = await startDaemon(JANUS_BIN, args, {
    dir,
    name: 'janus',
    ready: async (output) => output.includes('WebSockets thread started') && (await tcpAccepts(port)),
    timeoutMs: 15_000,
    pollMs: 50,
    echo: process.env.JANUS_LOG === '1',
  });

  return {
    url: `ws://127.0.0.1:${port}`,
    apiSecret,
    rtpPorts,
    iceAddress,
    startMs: Date.now() - started,
    command: [JANUS_BIN, ...args],
    log: daemon.log,
    stop: daemon.stop,
  };
}
