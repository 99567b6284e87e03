/**
 * The measured part of `bench/profile.ts`, in a process of its own so its CPU profile is
 * written on exit: one run of a peer under the bench window (1:1, or 1:N with a third argument).
 * Prints the timed window.
 */
import { driveWindow } from './lib/deliveryWindow.js';
import { PEERS } from './scenarios/peers.js';

const [key = 'statewire', count = '100000', fanOut = '1'] = process.argv.slice(2);
const peer = PEERS.find((candidate) => candidate.key === key);
if (!peer) throw new Error(`no peer ${key}; one of ${PEERS.map((p) => p.key).join(', ')}`);
const messages = Number(count);
const broker = await peer.start();
if ('missing' in broker) throw new Error(broker.missing);
let sink: (subscriber: number) => void = () => {};
const bind = (next: typeof sink) => {
  sink = next;
};
const subscribers = Number(fanOut);
const session = await broker.open(subscribers, (subscriber) => sink(subscriber));
const options = { subscribers, inFlight: 32 };
await driveWindow(session, { ...options, messages: Math.round(messages / 10) }, bind);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const fromUs = nowUs();
await driveWindow(session, { ...options, messages }, bind);
const toUs = nowUs();
await session.close();
await broker.stop();
const msgPerSec = Math.round(messages / ((toUs - fromUs) / 1e6));
console.log(JSON.stringify({ peer: key, messages, subscribers, fromUs, toUs, msgPerSec }));
