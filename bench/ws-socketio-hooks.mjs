/**
 * `node --import tsx --import ./bench/ws-socketio-hooks.mjs <signal server CLI>`: runs the
 * signal server on the plain-ws prototype (`ws-socketio.ts`) instead of socket.io, for the
 * load bench. Only imports of `socket.io` from the signal server's own modules are
 * redirected; everything else (and the server's code) is unchanged.
 */
import { register } from 'node:module';

const shim = new URL('./ws-socketio.ts', import.meta.url).href;
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'socket.io' && /\\/signal-server\\//.test(context.parentURL ?? '')) return next(${JSON.stringify(shim)}, context);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
