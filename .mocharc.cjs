// TypeScript tests run through tsx; the reporter adds the plain "N passed, N failed" line CI reads.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
  reporter: './test/support/summary-reporter.cjs',
  timeout: 20000,
};
