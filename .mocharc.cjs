// TypeScript tests run through tsx; the reporter adds the plain "N passed, N failed" line CI reads.
// No `spec` here: `npm run test:all` names the folders, and `npx mocha <file>` runs just that file.
module.exports = {
  'node-option': ['import=tsx'],
  reporter: './test/support/summary-reporter.cjs',
  timeout: 20000,
};
