// What the call scripts share (webcall.mjs, web_widget.mjs): Chromium with a fake microphone
// playing a WAV, waiting for a condition, and the test's commands on stdin.
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
