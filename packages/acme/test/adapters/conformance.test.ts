import { describe } from 'vitest';
import { adapterConformance } from './conformance.js';
import { ADAPTERS } from './servers.js';

describe.each(ADAPTERS)('%s', (name, start) => {
  adapterConformance(name, start);
});
