// Calls of this domain are declared here and merged into the contract in index.ts.
export const datasetsCalls = {};
