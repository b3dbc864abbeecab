// Scratch probe: per-step timeline of call setup, ours vs floor, both pages.
import { launchBrowser, startSignalServer } from './test/e2e/harness.js';
import { startBenchServer } from './bench/relay.js';
import { openPair } from './bench/calls.js';
const HOOK = `(() => {
  const log = (window.__tl = []);
  const mark = (what) => log.push([what, Date.now()]);
  window.__mark = mark;
  const P = RTCPeerConnection.prototype;
  const wrap = (name) => { const orig = P[name]; P[name] = function (...args) { const d = args[0] && args[0].type ? ':' + args[0].type : ''; mark(name + d + ' call'); const r = orig.apply(this, args); if (r && r.then) r.then(() => mark(name + d + ' done'), () => {}); return r; }; };
  for (const n of ['setLocalDescription', 'setRemoteDescription', 'createOffer', 'createAnswer', 'addIceCandidate']) wrap(n);
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) { mark('new PC'); const pc = new Orig(...args); pc.addEventListener('track', () => mark('track')); pc.addEventListener('iceconnectionstatechange', () => mark('ice ' + pc.iceConnectionState)); pc.addEventListener('negotiationneeded', () => mark('negotiationneeded')); return pc; };
  window.RTCPeerConnection.prototype = Orig.prototype;
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c) => { mark('gUM call'); return gum(c).then((s) => { mark('gUM done'); return s; }); };
  const WS = window.WebSocket; window.WebSocket = function (...a) { mark('ws new'); const ws = new WS(...a); ws.addEventListener('open', () => mark('ws open')); let n = 0; ws.addEventListener('message', (e) => { if (typeof e.data === 'string' && n++ < 40) mark('ws< ' + e.data.slice(0, 14)); }); const send = ws.send.bind(ws); ws.send = (d) => { if (typeof d === 'string') mark('ws> ' + d.slice(0, 14)); return send(d); }; return ws; }; window.WebSocket.prototype = WS.prototype; Object.assign(window.WebSocket, { OPEN: 1, CLOSED: 3, CONNECTING: 0, CLOSING: 2 });
  const desc = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'srcObject');
  Object.defineProperty(HTMLMediaElement.prototype, 'srcObject', { get: desc.get, set(v) { mark('srcObject ' + (v ? v.getTracks().map((t) => t.kind).join('+') : 'null')); desc.set.call(this, v); }, configurable: true });
  addEventListener('DOMContentLoaded', () => mark('DOMContentLoaded'));
  new PerformanceObserver((list) => { for (const e of list.getEntries()) log.push(['longtask ' + Math.round(e.duration) + 'ms', Math.round(performance.timeOrigin + e.startTime)]); }).observe({ type: 'longtask', buffered: true });
})();`;
const kind = (process.argv[2] ?? 'ours') as 'ours' | 'floor';
const runs = Number(process.argv[3] ?? 6);
const signal = await startSignalServer();
const bench = await startBenchServer(signal.url);
const browser = await launchBrowser();
const origNewContext = browser.newContext.bind(browser);
(browser as any).newContext = async (o: any) => { const c = await origNewContext(o); await c.addInitScript(HOOK); return c; };
const agg: Record<string, number[]> = {};
for (let i = 0; i < runs + 1; i++) {
  const pair = await openPair(browser, bench, kind);
  const t0 = (await pair.b.evaluate('window.bench.t0')) as number;
  const tla = (await pair.a.evaluate('window.__tl')) as [string, number][];
  const tlb = (await pair.b.evaluate('window.__tl')) as [string, number][];
  const fa = (await pair.a.evaluate('window.bench.remoteFrameAt')) as number;
  const fb = (await pair.b.evaluate('window.bench.remoteFrameAt')) as number;
  if (i > 0) {
    const lines: string[] = [];
    const seen = new Map<string, number>();
    const add = (who: string, what: string, at: number) => { let k = `${who} ${what}`; const n = seen.get(k) ?? 0; seen.set(k, n + 1); if (n) k += ` #${n + 1}`; (agg[k] ??= []).push(at - t0); };
    for (const [w, at] of tlb) if (at >= t0) add('B', w, at);
    for (const [w, at] of tla) if (at >= t0) add('A', w, at);
    add('B', 'FIRST FRAME', fb); add('A', 'FIRST FRAME', fa);
    if (i === runs) for (const [w, at] of tlb) if (at >= t0 && (w.startsWith('longtask') || w.includes('srcObject') || w.includes('answer') || w.includes('ws< 42["signal') )) console.log('   B', at - t0, w);
    if (i === runs) for (const [w, at] of tla) if (at >= t0 && (w.startsWith('longtask'))) console.log('   A', at - t0, w);
    console.log(`run ${i}: setup ${pair.setupMs} B sees ${pair.secondSeesFirstMs}`);
  }
  await pair.close();
}
const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const rows = Object.entries(agg).filter(([, v]) => v.length >= runs / 2).map(([k, v]) => [k, med(v), v.length] as const).sort((a, b) => a[1] - b[1]);
for (const [k, m, n] of rows) console.log(String(m).padStart(5), n, k);
await browser.close(); await bench.close(); await signal.stop();
