/**
 * The signal server's settings, read from environment variables and command-line flags
 * (a flag wins over its variable). Each setting has both forms: `PORT` and `--port`,
 * `ROOM_CAPACITY` and `--room-capacity`. An empty environment variable counts as unset.
 * A wrong setting throws a `ConfigError` naming the setting and what is wrong with it.
 */
import { ROOM_PATTERN } from '../src/protocol/index.js';

/**
 * How long, in milliseconds, a participant whose connection dropped without a `leave`
 * stays in its room (others keep seeing it) so it can resume as itself. With the server's
 * heartbeat (`pingInterval` 4000 + `pingTimeout` 4000: a vanished client is noticed within
 * 8 s), a default of 4000 keeps "a vanished peer disappears for the others" under 13 s,
 * inside the product's promise of 15 s.
 */
export const DEFAULT_DISCONNECT_GRACE_MS = 4000;

/** The most `disconnectGraceMs` may be set to. */
export const MAX_DISCONNECT_GRACE_MS = 60_000;

/** Levels `LOG_LEVEL` accepts (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The default of `CONNECTION_RATE_LIMIT`: new connections per client address per 10 s. */
export const DEFAULT_CONNECTIONS_PER_10S = 100;

/** Secrets shorter than this draw a warning (HS256 and HMAC-SHA1 want at least 256 random bits). */
export const RECOMMENDED_SECRET_LENGTH = 32;

/** How rooms carry media: peer to peer, through the SFU, or peer to peer until a room outgrows `meshLimit`. */
export type Topology = 'mesh' | 'sfu' | 'auto';

/** Every setting of the signal server, parsed and checked. */
export interface SignalServerConfig {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on. */
  host: string;
  /** The most participants in one room (at least 2). */
  roomCapacity: number;
  /** Milliseconds a participant whose connection dropped stays in its room, awaiting a resume. */
  disconnectGraceMs: number;
  /** Page origins allowed to connect; undefined allows any. */
  allowedOrigins: string[] | undefined;
  /** When set, joining needs an HS256 JWT signed with it, naming the room. */
  authSecret: string | undefined;
  /** TURN/STUN server URLs handed to each joiner (with credentials when `turnSecret` is set). */
  turnUrls: string[] | undefined;
  /** Shared secret for time-limited TURN credentials (coturn `use-auth-secret`). */
  turnSecret: string | undefined;
  /** Lifetime of TURN credentials, in seconds. */
  turnTtl: number;
  /** Redis to share rooms across processes (`redis://` or `rediss://`); unset, rooms stay in this process. */
  redisUrl: string | undefined;
  /** Path of the TLS certificate (PEM); with `tlsKey`, the server speaks HTTPS/WSS. */
  tlsCert: string | undefined;
  /** Path of the TLS private key (PEM). */
  tlsKey: string | undefined;
  /** Media topology: `mesh`, `sfu` or `auto` (the last two need `janusUrls`). */
  topology: Topology;
  /** Room size beyond which `auto` moves a room to the SFU. */
  meshLimit: number;
  /** Janus WebSocket API URLs for the SFU topology. */
  janusUrls: string[] | undefined;
  /** Janus's `api_secret`; required with `janusUrls`. */
  janusApiSecret: string | undefined;
  /** Key the VideoRoom ids and secrets are derived from; give every process sharing the Janus instances the same one. */
  janusRoomKey: string | undefined;
  /** How much to log (JSON lines on stdout). */
  logLevel: LogLevel;
  /** How many reverse proxies stand in front, whose `X-Forwarded-For` entries are trusted. */
  trustProxy: number;
  /** New connections allowed per client address per 10 s; 0 turns the limit off. */
  connectionRateLimit: number;
}

/** A setting that cannot be used; the message says which and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The raw value of one setting and where it came from, for messages. */
interface RawSetting {
  value: string;
  source: string;
}

interface SettingSpec<K extends keyof SignalServerConfig> {
  key: K;
  /** Flag name without the dashes; the variable is its upper-snake form. */
  flag: string;
  help: string;
  parse: (raw: RawSetting) => SignalServerConfig[K];
  fallback: SignalServerConfig[K];
  /** How the default is shown in the usage text. */
  shownDefault?: string;
}

type AnySettingSpec = { [K in keyof SignalServerConfig]: SettingSpec<K> }[keyof SignalServerConfig];

const TOPOLOGIES: readonly Topology[] = ['mesh', 'sfu', 'auto'];

const SETTINGS: readonly AnySettingSpec[] = [
  { key: 'port', flag: 'port', help: 'port to listen on (0: any free port)', parse: integer(0, 65535), fallback: 3000 },
  { key: 'host', flag: 'host', help: 'address to listen on', parse: hostName, fallback: '127.0.0.1' },
  { key: 'roomCapacity', flag: 'room-capacity', help: 'most participants in one room', parse: integer(2, 10_000), fallback: 8 },
  {
    key: 'disconnectGraceMs', flag: 'disconnect-grace-ms', help: 'ms a dropped participant is kept for a resume',
    parse: integer(0, MAX_DISCONNECT_GRACE_MS), fallback: DEFAULT_DISCONNECT_GRACE_MS,
  },
  {
    key: 'allowedOrigins', flag: 'allowed-origins', help: 'comma-separated page origins allowed to connect',
    parse: list(origin), fallback: undefined, shownDefault: 'any',
  },
  { key: 'authSecret', flag: 'auth-secret', help: 'secret for HS256 join tokens (prefer the variable)', parse: secret, fallback: undefined },
  { key: 'turnUrls', flag: 'turn-urls', help: 'comma-separated turn:/turns:/stun: URLs', parse: list(urlWithScheme(['turn:', 'turns:', 'stun:', 'stuns:'])), fallback: undefined },
  { key: 'turnSecret', flag: 'turn-secret', help: 'TURN shared secret (prefer the variable)', parse: secret, fallback: undefined },
  { key: 'turnTtl', flag: 'turn-ttl', help: 'TURN credential lifetime in seconds', parse: integer(60, 604_800), fallback: 3600 },
  { key: 'redisUrl', flag: 'redis-url', help: 'redis:// URL to share rooms across processes', parse: urlWithScheme(['redis:', 'rediss:']), fallback: undefined, shownDefault: 'in memory' },
  { key: 'tlsCert', flag: 'tls-cert', help: 'TLS certificate file (PEM)', parse: filePath, fallback: undefined },
  { key: 'tlsKey', flag: 'tls-key', help: 'TLS private key file (PEM)', parse: filePath, fallback: undefined },
  { key: 'topology', flag: 'topology', help: 'mesh, sfu or auto', parse: oneOf(TOPOLOGIES), fallback: 'mesh' },
  { key: 'meshLimit', flag: 'mesh-limit', help: 'room size beyond which auto uses the SFU', parse: integer(2, 10_000), fallback: 4 },
  { key: 'janusUrls', flag: 'janus-url', help: 'comma-separated Janus WebSocket API URLs', parse: list(urlWithScheme(['ws:', 'wss:'])), fallback: undefined },
  { key: 'janusApiSecret', flag: 'janus-api-secret', help: 'Janus api_secret, required with JANUS_URL (prefer the variable)', parse: secret, fallback: undefined },
  {
    key: 'janusRoomKey', flag: 'janus-room-key', help: 'key for VideoRoom ids and secrets, the same in every process sharing Janus (prefer the variable)',
    parse: secret, fallback: undefined, shownDefault: 'random per process',
  },
  { key: 'logLevel', flag: 'log-level', help: `${LOG_LEVELS.join(', ')}`, parse: oneOf(LOG_LEVELS), fallback: 'info' },
  {
    key: 'trustProxy', flag: 'trust-proxy', help: 'reverse proxies in front whose X-Forwarded-For to trust',
    parse: integer(0, 10), fallback: 0,
  },
  {
    key: 'connectionRateLimit', flag: 'connection-rate-limit', help: 'new connections per client address per 10 s (0: no limit)',
    parse: integer(0, 1_000_000), fallback: DEFAULT_CONNECTIONS_PER_10S,
  },
];

/** The variable name for a flag: `room-capacity` → `ROOM_CAPACITY`. */
function envName(flag: string): string {
  return flag.toUpperCase().replaceAll('-', '_');
}

/** True when the arguments ask for the usage text (`--help` or `-h`). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--help' || arg === '-h');
}

/** The usage text printed by `rtc-signal-server --help`. */
export function usage(): string {
  const flagColumn = Math.max(...SETTINGS.map((spec) => `  --${spec.flag} <value>`.length)) + 2;
  const variableColumn = Math.max(...SETTINGS.map((spec) => envName(spec.flag).length)) + 2;
  const rows = SETTINGS.map((spec) => {
    const shown = spec.shownDefault ?? (spec.fallback === undefined ? 'unset' : String(spec.fallback));
    return `  --${spec.flag} <value>`.padEnd(flagColumn) + envName(spec.flag).padEnd(variableColumn) + `${spec.help} (default: ${shown})`;
  });
  return [
    'Usage: rtc-signal-server [options]',
    '       rtc-signal-server token --room <room> [--name <name>] [--ttl <seconds>]',
    '',
    'The rtc-elements signal server: relays WebRTC signaling between the participants of a',
    'room, and serves the demo page at / and the browser bundles.',
    '',
    'Each option can also be given as the environment variable shown; the flag wins.',
    '  flag'.padEnd(flagColumn) + 'variable'.padEnd(variableColumn) + 'meaning',
    ...rows,
    '  -h, --help'.padEnd(flagColumn + variableColumn) + 'print this text',
    '',
    'rtc-signal-server token prints a join token signed with AUTH_SECRET (see token --help).',
  ].join('\n');
}

/**
 * Reads the settings from flags and environment variables (a flag wins) and checks them.
 * @throws ConfigError when a setting is wrong, a flag unknown, or a flag lacks its value.
 */
export function loadConfig(
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
): SignalServerConfig {
  const flags = parseFlags(argv, new Set(SETTINGS.map((spec) => spec.flag)));
  const config = {} as Record<keyof SignalServerConfig, unknown>;
  for (const spec of SETTINGS) {
    const flagValue = flags.get(spec.flag);
    const envValue = env[envName(spec.flag)];
    const raw: RawSetting | undefined =
      flagValue !== undefined
        ? { value: flagValue, source: `--${spec.flag}` }
        : envValue !== undefined && envValue !== ''
          ? { value: envValue, source: envName(spec.flag) }
          : undefined;
    config[spec.key] = raw === undefined ? spec.fallback : spec.parse(raw);
  }
  const settings = config as SignalServerConfig;

  if ((settings.tlsCert === undefined) !== (settings.tlsKey === undefined)) {
    const [set, missing] = settings.tlsCert === undefined ? ['TLS_KEY', 'TLS_CERT'] : ['TLS_CERT', 'TLS_KEY'];
    throw new ConfigError(`${set} is set but ${missing} is not: HTTPS needs both a certificate and a key`);
  }
  if (settings.turnSecret !== undefined && settings.turnUrls === undefined) {
    throw new ConfigError('TURN_SECRET is set but TURN_URLS is not: list the TURN servers the credentials are for');
  }
  if (settings.topology !== 'mesh' && settings.janusUrls === undefined) {
    throw new ConfigError(`TOPOLOGY=${settings.topology} needs an SFU: set JANUS_URL (and JANUS_API_SECRET) to the Janus WebSocket API, or use TOPOLOGY=mesh`);
  }
  if (settings.janusUrls !== undefined && settings.janusApiSecret === undefined) {
    throw new ConfigError('JANUS_URL is set but JANUS_API_SECRET is not: the signal server talks to Janus with its api_secret');
  }
  if (settings.janusUrls !== undefined && settings.redisUrl !== undefined && settings.janusRoomKey === undefined) {
    throw new ConfigError('REDIS_URL and JANUS_URL are set but JANUS_ROOM_KEY is not: processes sharing SFU rooms must derive the same VideoRoom ids and secrets (use one random key everywhere, e.g. openssl rand -base64 32)');
  }
  if (settings.turnSecret === undefined && settings.turnUrls?.some((url) => /^turns?:/i.test(url))) {
    throw new ConfigError('TURN_URLS lists turn: servers but TURN_SECRET is not set: clients need credentials for them (coturn use-auth-secret)');
  }
  return settings;
}

/** Warnings about settings that work but are unwise, one sentence each. */
export function configWarnings(config: SignalServerConfig): string[] {
  const warnings: string[] = [];
  for (const [name, value] of [['AUTH_SECRET', config.authSecret], ['TURN_SECRET', config.turnSecret], ['JANUS_ROOM_KEY', config.janusRoomKey]] as const) {
    if (value !== undefined && value.length < RECOMMENDED_SECRET_LENGTH) {
      warnings.push(`${name} is only ${value.length} characters long: use at least ${RECOMMENDED_SECRET_LENGTH} random characters (e.g. openssl rand -base64 32)`);
    }
  }
  return warnings;
}

/** What `rtc-signal-server token` makes a token for. */
export interface TokenCommand {
  secret: string;
  room: string;
  name?: string;
  /** Lifetime in seconds. */
  ttl: number;
}

/** The usage text of `rtc-signal-server token --help`. */
export function tokenUsage(): string {
  return [
    'Usage: rtc-signal-server token --room <room> [--name <name>] [--ttl <seconds>]',
    '',
    'Prints a join token (an HS256 JWT) for one room, signed with AUTH_SECRET (the variable,',
    'or --auth-secret). The token holds the claims room, exp, iat and, with --name, name: the',
    'display name its holder gets. Give it to a page as <rtc-call token="...">.',
    '',
    '  --room <room>      the room the token grants (required)',
    '  --name <name>      the display name its holder gets (optional)',
    '  --ttl <seconds>    lifetime (default: 3600, at most 31 days)',
    '  --auth-secret <s>  the secret, if AUTH_SECRET is not set',
  ].join('\n');
}

/**
 * Reads the arguments of `rtc-signal-server token` (those after `token`).
 * @throws ConfigError when the secret or the room is missing, or a flag is wrong.
 */
export function loadTokenCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): TokenCommand {
  const flags = parseFlags(argv, new Set(['room', 'name', 'ttl', 'auth-secret']));
  const secretFlag = flags.get('auth-secret');
  const secretRaw: RawSetting | undefined =
    secretFlag !== undefined
      ? { value: secretFlag, source: '--auth-secret' }
      : env.AUTH_SECRET !== undefined && env.AUTH_SECRET !== ''
        ? { value: env.AUTH_SECRET, source: 'AUTH_SECRET' }
        : undefined;
  if (secretRaw === undefined) throw new ConfigError('AUTH_SECRET is not set: a token is signed with the same secret the server checks it with');
  const room = flags.get('room');
  if (room === undefined) throw new ConfigError('--room is required: a token grants one room');
  if (!ROOM_PATTERN.test(room)) {
    throw new ConfigError(`--room: "${room}" is not a room name (letters, digits and - _ . , at most 64, starting with a letter or digit)`);
  }
  const command: TokenCommand = { secret: secret(secretRaw), room, ttl: 3600 };
  const name = flags.get('name');
  if (name !== undefined) {
    if (name.trim() === '') throw new ConfigError('--name must not be blank');
    command.name = name;
  }
  const ttl = flags.get('ttl');
  if (ttl !== undefined) command.ttl = integer(1, 31 * 86_400)({ value: ttl, source: '--ttl' });
  return command;
}

/** Flags as name → value; `--name value` and `--name=value` both work, the last repeat wins. */
function parseFlags(argv: readonly string[], known: ReadonlySet<string>): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--help' || arg === '-h') continue;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name} (see --help)`);
    let value: string | undefined;
    if (equals !== -1) {
      value = arg.slice(equals + 1);
    } else {
      value = argv[index + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      index++;
    }
    flags.set(name, value);
  }
  return flags;
}

function integer(min: number, max: number): (raw: RawSetting) => number {
  return ({ value, source }) => {
    const trimmed = value.trim();
    const parsed = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new ConfigError(`${source} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  };
}

function hostName({ value, source }: RawSetting): string {
  const trimmed = value.trim();
  if (trimmed === '' || /\s/.test(trimmed)) throw new ConfigError(`${source} must be a host name or IP address, got "${value}"`);
  return trimmed;
}

function secret({ value, source }: RawSetting): string {
  if (value.trim() === '') throw new ConfigError(`${source} must not be blank`);
  return value;
}

function filePath({ value, source }: RawSetting): string {
  if (value.trim() === '') throw new ConfigError(`${source} must be a file path`);
  return value;
}

function oneOf<T extends string>(choices: readonly T[]): (raw: RawSetting) => T {
  return ({ value, source }) => {
    const match = choices.find((choice) => choice === value.trim());
    if (match === undefined) throw new ConfigError(`${source} must be one of ${choices.join(', ')}, got "${value}"`);
    return match;
  };
}

/** A page origin such as `https://example.com` or `http://localhost:5173`; also `*` (any) and `null` (opaque). */
function origin({ value, source }: RawSetting): string {
  if (value === '*' || value === 'null') return value;
  const valid = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+\/?$/i.test(value) && URL.canParse(value);
  if (!valid) {
    throw new ConfigError(`${source}: "${value}" is not an origin (write it as scheme://host[:port], e.g. https://example.com)`);
  }
  return value.replace(/\/$/, '');
}

function urlWithScheme(schemes: readonly string[]): (raw: RawSetting) => string {
  return ({ value, source }) => {
    const trimmed = value.trim();
    const scheme = schemes.find((candidate) => trimmed.toLowerCase().startsWith(candidate));
    if (scheme === undefined || !URL.canParse(trimmed)) {
      throw new ConfigError(`${source}: "${value}" is not a URL starting with ${schemes.join(' or ')}`);
    }
    return trimmed;
  };
}

/** A comma-separated list, each item checked by `item`; blank items are skipped. */
function list(item: (raw: RawSetting) => string): (raw: RawSetting) => string[] {
  return ({ value, source }) => {
    const items = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (items.length === 0) throw new ConfigError(`${source} lists nothing, got "${value}"`);
    return items.map((part) => item({ value: part, source }));
  };
}
