/** Injection tokens for values that are not classes. */
export const CONFIG = Symbol('CONFIG');
export const LOGGER = Symbol('LOGGER');
export const COUNT_FILE = Symbol('COUNT_FILE');
export const CLUSTER_OBSERVER = Symbol('CLUSTER_OBSERVER');
