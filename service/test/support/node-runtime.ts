import { PINNED_NODE_VERSION, wrongNodeMessage } from '@visits/test-support/pinned-node';

/**
 * Jest globalSetup: says which Node.js the service's tests run on (jest's workers and the service
 * processes they start use this same binary) and refuses any other than the pinned one, the
 * version the image runs.
 */
export default function nodeRuntime(): void {
  if (process.versions.node !== PINNED_NODE_VERSION) throw new Error(wrongNodeMessage("the service's tests"));
  console.log(`service tests: Node.js ${process.version} (${process.execPath})`);
}
