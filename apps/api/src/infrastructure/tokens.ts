/** Injection tokens for outside dependencies (each behind an injectable adapter). */
export const API_CONFIG = Symbol('API_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const MONGO_CONNECTION = Symbol('MONGO_CONNECTION');
