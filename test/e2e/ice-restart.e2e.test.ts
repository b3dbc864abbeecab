/**
 * A network path that dies mid-call: every UDP port one side's ICE candidates use is
 * blocked with iptables and ip6tables (this needs root, as CI and the developers' machines
 * here run), so no candidate pair survives; the connection goes `disconnected`, ICE
 * restarts (gathering candidates on fresh ports), and video flows again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  joinFromDemo,
  launchBrowser,
  remoteTile,
  startSignalServer,
  uniqueRoom,
  waitForFrames,
  waitForMovingVideo,
  type RunningServer,
} from './harness.js';

/** The UDP ports of every local ICE candidate a page's call has for its first peer, and the selected one. */
function candidatePorts(page: Page): Promise<{ all: number[]; selected: number | null }> {
  return page.evaluate(async () => {
    const call = (document.querySelector('rtc-call') as unknown as { call: { getStats(): Promise<{ report: RTCStatsReport }[]> } }).call;
    const [first] = await call.getStats();
    const stats = [...(first?.report.values() ?? [])] as Record<string, unknown>[];
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    const local = stats.find((s) => s.id === pair?.localCandidateId);
    const all = stats.filter((s) => s.type === 'local-candidate' && s.protocol === 'udp').map((s) => s.port as number);
    return { all: [...new Set(all)], selected: typeof local?.port === 'number' ? local.port : null };
  });
}

/** The receiving side's video counters, for a failure message that says where video stopped. */
function inboundVideo(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const call = (document.querySelector('rtc-call') as unknown as { call: { getStats(): Promise<{ report: RTCStatsReport }[]> } }).call;
    const [first] = await call.getStats();
    const video = [...(first?.report.values() ?? [])].find((s: Record<string, unknown>) => s.type === 'inbound-rtp' && s.kind === 'video') as Record<string, unknown> | undefined;
    return JSON.stringify({ frames: video?.framesDecoded, keyFrames: video?.keyFramesDecoded, bytes: video?.bytesReceived, pli: video?.pliCount, lost: video?.packetsLost });
  });
}

/** The firewall tool by full path: root's PATH does not always include /usr/sbin. */
function tool(name: 'iptables' | 'ip6tables'): string {
  return [`/usr/sbin/${name}`, `/sbin/${name}`].find((path) => existsSync(path)) ?? name;
}

/** Drops UDP to and from these ports, over IPv4 and IPv6 (loopback traffic included). */
function blockPorts(action: '-I' | '-D', ports: number[]): void {
  for (const command of [tool('iptables'), tool('ip6tables')]) {
    for (const port of ports) {
      execFileSync(command, [action, 'INPUT', '-p', 'udp', '--dport', String(port), '-j', 'DROP']);
      execFileSync(command, [action, 'OUTPUT', '-p', 'udp', '--sport', String(port), '-j', 'DROP']);
    }
  }
}

describe('ICE restart', () => {
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    try {
      execFileSync(tool('iptables'), ['-L', 'INPUT', '-n'], { stdio: 'ignore' });
      execFileSync(tool('ip6tables'), ['-L', 'INPUT', '-n'], { stdio: 'ignore' });
    } catch {
      throw new Error('this test needs iptables, ip6tables and root (apt-get install iptables; .ci/run installs it)');
    }
    server = await startSignalServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('recovers video after the path in use is cut, through an ICE restart on new ports', async () => {
    const room = uniqueRoom();
    const ada = await joinFromDemo(browser, server.url, room, 'Ada');
    const bo = await joinFromDemo(browser, server.url, room, 'Bo');
    await waitForMovingVideo(bo, ['Ada']);
    const before = await candidatePorts(ada);
    assert.ok(before.selected, 'a selected candidate pair');

    blockPorts('-I', before.all);
    try {
      const badge = remoteTile(bo, 'Ada').locator('[part~="state"]');
      await badge.waitFor({ timeout: 20000 });
      assert.match((await badge.textContent()) ?? '', /Reconnecting|Connection failed/);
      await badge.waitFor({ state: 'detached', timeout: 30000 });
      // After a total outage the senders' bandwidth estimates start low again; video
      // resumes once they probe back up, which takes longer on a loaded machine.
      try {
        await Promise.all([waitForFrames(remoteTile(bo, 'Ada'), 10, 30000), waitForFrames(remoteTile(ada, 'Bo'), 10, 30000)]);
      } catch (error) {
        throw new Error(`${(error as Error).message}; Ada receives ${await inboundVideo(ada)}; Bo receives ${await inboundVideo(bo)}`);
      }
      const after = await candidatePorts(ada);
      assert.ok(after.selected && !before.all.includes(after.selected), `the call moved to a new port: ${before.all} -> ${after.selected}`);
    } finally {
      blockPorts('-D', before.all);
      await ada.context().close();
      await bo.context().close();
    }
  });
});
