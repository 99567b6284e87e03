import { memoryFixture, redisFixture } from './fixtures.js';
import { historyBudgetContract } from './historyBudget.js';
import { queueContract } from './queues.js';
import { roomContract } from './rooms.js';

for (const fixture of [memoryFixture(), redisFixture()]) {
  roomContract(fixture);
  historyBudgetContract(fixture);
  queueContract(fixture);
}
