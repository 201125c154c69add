/**
 * Which way dependencies may point (checked in CI by `npm run depcruise`):
 * handlers (functions/) -> use cases (shared/domain) -> adapters (shared/db), never back.
 * Violations that predate these rules are listed in .dependency-cruiser-known-violations.json
 * (the redesign issue removes them); anything new fails.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make layers meaningless.', from: {}, to: { circular: true } },
    {
      name: 'domain-stays-pure',
      severity: 'error',
      comment: 'Use cases and rules know nothing of storage, HTTP, schemas, logging or privacy plumbing.',
      from: { path: '^shared/domain/' },
      to: { path: '^shared/(db|http|schemas|observability|privacy|auth|events)/' },
    },
    {
      name: 'storage-knows-no-http',
      severity: 'error',
      comment: 'Storage adapters serve the domain; they do not speak HTTP or enforce privacy policy.',
      from: { path: '^shared/db/' },
      to: { path: '^shared/(http|privacy)/' },
    },
    {
      name: 'shared-never-imports-outer-layers',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|infra|test|bench|scripts)/' },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      from: { path: '^(functions|shared|infra)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    parser: 'swc',
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
