/** Paths of the manager API, relative to the manager's base URL. */
export const API_PATHS = {
  register: '/api/v1/workers/register',
  instructions: '/api/v1/instructions',
  certificates: '/api/v1/certificates',
  status: '/api/v1/status',
  coverage: '/api/v1/coverage',
  ping: '/api/v1/ping',
  complete: '/api/v1/complete',
  terminate: '/api/v1/terminate',
  adminReplan: '/api/v1/admin/replan',
  adminDirectives: '/api/v1/admin/directives',
  adminClearWorker: '/api/v1/admin/workers/:worker_id/clear',
  domainCertificates: '/api/v1/domains/:name/certificates',
  analysisSummary: '/api/v1/analysis/summary',
} as const;
