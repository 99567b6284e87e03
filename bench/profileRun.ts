/**
 * The measured part of `bench/profile.ts`, in a process of its own so its CPU profile is
 * written on exit: one 1:1 run of a peer under the bench window. Prints the timed window.
 */
import { driveWindow } from './lib/deliveryWindow.js';
import { PEERS } from './scenarios/peers.js';

const [key = 'statewire', count = '100000'] = process.argv.slice(2);
const peer = PEERS.find((candidate) => candidate.key === key);
if (!peer) throw new Error(`no peer ${key}; one of ${PEERS.map((p) => p.key).join(', ')}`);
const messages = Number(count);
const broker = await peer.start();
if ('missing' in broker) throw new Error(broker.missing);
let sink: (subscriber: number) => void = () => {};
const bind = (next: typeof sink) => {
  sink = next;
};
const session = await broker.open(1, (subscriber) => sink(subscriber));
const options = { subscribers: 1, inFlight: 32 };
await driveWindow(session, { ...options, messages: Math.round(messages / 10) }, bind);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const fromUs = nowUs();
await driveWindow(session, { ...options, messages }, bind);
const toUs = nowUs();
await session.close();
await broker.stop();
const msgPerSec = Math.round(messages / ((toUs - fromUs) / 1e6));
console.log(JSON.stringify({ peer: key, messages, fromUs, toUs, msgPerSec }));
