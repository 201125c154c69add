/**
 * Which way dependencies may point (checked in CI by `npm run depcruise`):
 * handlers (functions/) -> use cases (shared/domain, shared/privacy, shared/auth) -> adapters
 * (shared/db), never back. The domain owns its ports and constants; shared/db implements them.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make layers meaningless.', from: {}, to: { circular: true } },
    {
      name: 'domain-stays-pure',
      severity: 'error',
      comment: 'Use cases and rules know nothing of storage, HTTP, schemas, logging, configuration or privacy plumbing.',
      from: { path: '^shared/domain/' },
      to: { path: '^shared/(db|http|schemas|observability|privacy|auth|events|config)/' },
    },
    {
      name: 'storage-knows-no-http',
      severity: 'error',
      comment: 'Storage adapters serve the domain; they do not speak HTTP or enforce privacy policy.',
      from: { path: '^shared/db/' },
      to: { path: '^shared/(http|privacy)/' },
    },
    {
      name: 'privacy-reaches-storage-through-its-ports',
      severity: 'error',
      comment:
        'Erase, export and the read audit work on typed records through the ports in shared/domain (privacy-store.ts, access-log-store.ts); only shared/db knows items, keys and suppression items, and handlers hand the stores in from the instance modules.',
      from: { path: '^shared/privacy/' },
      to: { path: '^shared/db/' },
    },
    {
      name: 'http-stack-stays-lean',
      severity: 'error',
      comment: 'Every route bundles shared/http: the read audit and privacy use cases are opted into by the routes that need them.',
      from: { path: '^shared/http/' },
      to: { path: '^shared/privacy/' },
    },
    {
      name: 'handlers-reach-storage-through-its-instances',
      severity: 'error',
      comment: 'A handler calls a use case with the store it gets from an instance module; item shapes and clients stay in shared/db.',
      from: { path: '^functions/' },
      to: { path: '^shared/db/', pathNot: '^shared/db/[a-z-]+-instances?\\.ts$' },
    },
    {
      name: 'shared-never-imports-outer-layers',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|infra|test|bench|dev)/' },
    },
    {
      name: 'production-never-imports-dev-tooling',
      severity: 'error',
      comment: 'The local API Gateway adapter, start script and keys CLI are not deployed.',
      from: { path: '^(functions|shared|infra)/' },
      to: { path: '^dev/' },
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
