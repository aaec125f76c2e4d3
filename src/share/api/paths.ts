/** Paths of the manager API: the routes register below API_PREFIX, clients call API_PATHS. */
export const API_PREFIX = '/api/v1';

/** Each endpoint's path below API_PREFIX. */
export const API_ROUTES = {
  register: '/workers/register',
  instructions: '/instructions',
  certificates: '/certificates',
  status: '/status',
  coverage: '/coverage',
  ping: '/ping',
  complete: '/complete',
  terminate: '/terminate',
  adminReplan: '/admin/replan',
  adminDirectives: '/admin/directives',
  adminClearWorker: '/admin/workers/:worker_id/clear',
  domainCertificates: '/domains/:name/certificates',
  analysisSummary: '/analysis/summary',
} as const;

type Routes = typeof API_ROUTES;

/** Each endpoint's path relative to the manager's base URL, e.g. `/api/v1/status`. */
export const API_PATHS = Object.fromEntries(Object.entries(API_ROUTES).map(([name, route]) => [name, `${API_PREFIX}${route}`])) as {
  readonly [K in keyof Routes]: `${typeof API_PREFIX}${Routes[K]}`;
};
