// What the call scripts share (webcall.mjs, web_widget.mjs, agent_phone.mjs): Chromium with a
// fake microphone playing a WAV, waiting for a condition or for a tone in the page's audio, and
// the test's commands on stdin.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { check, Failure } from './lib.mjs';

/** Headless Chromium whose microphone plays `wav`, allowed to use loopback for WebRTC. */
export function launchWithMicrophone(wav) {
  const args = [
    '--disable-gpu',
    '--no-first-run',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({
    executablePath: process.env.SB_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
  });
}

/** Polls `probe` every 100 ms until it returns something truthy, for at most `ms`. */
export async function waitFor(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Failure(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The test's next stdin line, which must start with `name`; returns the rest. */
export function stdinCommands() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  return async (name) => {
    const { value, done } = await lines.next();
    check(!done && value.startsWith(name), `expected ${name} from the test, got ${value}`);
    return value.slice(name.length).trim();
  };
}

/**
 * Waits until the audio element `selector` plays `want` Hz (the strongest bin, ±30 Hz: headless
 * playout lands a few % low) within 15 s; returns the peak `{ hz, db }`.
 */
export async function waitToHear(page, selector, want) {
  await page.evaluate((sel) => {
    const remote = document.querySelector(sel).srcObject;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    ctx.createMediaStreamSource(remote).connect(analyser);
    window.testPeak = () => {
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      let best = 1;
      for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
      return { hz: (best * ctx.sampleRate) / analyser.fftSize, db: bins[best] };
    };
  }, selector);
  let peak = null;
  await waitFor(`${want} Hz in the remote audio`, 15000, async () => {
    peak = await page.evaluate(() => window.testPeak());
    return peak && peak.db > -80 && Math.abs(peak.hz - want) < 30;
  }).catch((e) => { throw new Failure(`${e.message} (last peak: ${JSON.stringify(peak)})`); });
  return peak;
}
