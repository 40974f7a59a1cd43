// Child process for verification-worker.test.ts: verifies through a
// verification worker and never closes it. The process must still end on
// its own once the work is done, as a CA process being shut down would.
// Runs the built package (dist/).
import { createVerificationWorker, generateSoftwareSigner } from '@certwright/core';

const signer = await generateSoftwareSigner('P-256');
const worker = createVerificationWorker();
const verifier = worker.verifierFor(signer.publicKeySpki);
const data = new TextEncoder().encode('certwright');
const signature = await signer.sign(data);
const answers = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(signer.algorithm, data, signature)));
process.stdout.write(`${answers.filter(Boolean).length} verified, ${worker.pending} pending\n`);
