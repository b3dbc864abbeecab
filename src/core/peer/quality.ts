import type { Quality } from '../call-state.js';

/** What a person would call a connection, from its numbers. */
export interface ConnectionStats {
  /** Round-trip time in milliseconds, if known. */
  roundTripTime: number | null;
  /** Share of packets lost since the last sample, 0..1. */
  packetLoss: number;
  /** Bits per second received since the last sample. */
  bitrate: number;
  /** How loud they were since the last sample, 0..1 (root mean square, as `audioLevel`). */
  audioLevel: number;
  quality: Quality;
}

/** Counters read from one `getStats()` report, to difference against the next. */
export interface StatsSample {
  at: number;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  roundTripTime: number | null;
  /** Received audio energy and its duration so far, for the loudness between two samples. */
  audioEnergy: number;
  audioDuration: number;
}

/** Reads the counters this library cares about from a peer connection's report. */
export function sampleStats(report: RTCStatsReport, at: number): StatsSample {
  const sample: StatsSample = { at, bytesReceived: 0, packetsReceived: 0, packetsLost: 0, roundTripTime: null, audioEnergy: 0, audioDuration: 0 };
  report.forEach((stat: Record<string, unknown>) => {
    if (stat.type === 'inbound-rtp') {
      sample.bytesReceived += Number(stat.bytesReceived ?? 0);
      sample.packetsReceived += Number(stat.packetsReceived ?? 0);
      sample.packetsLost += Math.max(0, Number(stat.packetsLost ?? 0));
      if (stat.kind === 'audio') {
        sample.audioEnergy += Number(stat.totalAudioEnergy ?? 0);
        sample.audioDuration += Number(stat.totalSamplesDuration ?? 0);
      }
    } else if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded') {
      if (typeof stat.currentRoundTripTime === 'number') sample.roundTripTime = stat.currentRoundTripTime * 1000;
    }
  });
  return sample;
}

/**
 * Good / fair / poor from round-trip time and loss, the two things people hear as lag and
 * as broken-up video. Thresholds follow common conferencing practice: under 300 ms and 2 %
 * feels fine, past 600 ms or 8 % conversation suffers.
 */
export function rateQuality(roundTripTime: number | null, packetLoss: number): Quality {
  if (roundTripTime === null && packetLoss === 0) return 'unknown';
  const rtt = roundTripTime ?? 0;
  if (rtt < 300 && packetLoss < 0.02) return 'good';
  if (rtt < 600 && packetLoss < 0.08) return 'fair';
  return 'poor';
}

/** The statistics between two samples of the same connection. */
export function compareSamples(previous: StatsSample | null, current: StatsSample): ConnectionStats {
  if (!previous || current.at <= previous.at) {
    return { roundTripTime: current.roundTripTime, packetLoss: 0, bitrate: 0, audioLevel: 0, quality: rateQuality(current.roundTripTime, 0) };
  }
  const received = current.packetsReceived - previous.packetsReceived;
  const lost = current.packetsLost - previous.packetsLost;
  const packetLoss = received + lost > 0 ? Math.max(0, lost) / (received + lost) : 0;
  const seconds = (current.at - previous.at) / 1000;
  const bitrate = Math.max(0, ((current.bytesReceived - previous.bytesReceived) * 8) / seconds);
  // Energy over time is steadier than the instantaneous `audioLevel`, which misses short words.
  const heard = current.audioDuration - previous.audioDuration;
  const audioLevel = heard > 0 ? Math.min(1, Math.sqrt(Math.max(0, current.audioEnergy - previous.audioEnergy) / heard)) : 0;
  return { roundTripTime: current.roundTripTime, packetLoss, bitrate, audioLevel, quality: rateQuality(current.roundTripTime, packetLoss) };
}
