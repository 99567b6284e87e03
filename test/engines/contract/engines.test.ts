import { memoryFixture, redisFixture } from './fixtures.js';
import { queueContract } from './queues.js';
import { roomContract } from './rooms.js';

for (const fixture of [memoryFixture(), redisFixture()]) {
  roomContract(fixture);
  queueContract(fixture);
}
