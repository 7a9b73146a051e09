export { SimulatedTenant } from './simulated-tenant.js';
export type { Collection } from './collection.js';
export { DEFAULT_NOW } from './context.js';
export { USER_DEFAULT_PROPERTIES } from './users.js';
export { DEVICE_DEFAULT_PROPERTIES } from './devices.js';
export type * from './types.js';
