import type { Server } from 'node:http';

/** Why a request was refused before the framework saw it. */
export type RefusalCause = 'body' | 'pipelining' | 'version' | 'method' | 'expectation' | 'parser';

export interface Refusal {
  cause: RefusalCause;
  /** The request's method; undefined when the request line never parsed. */
  method: string | undefined;
  /** The status answered; undefined when the request was dropped unanswered (the rest of a pipelined burst). */
  status: number | undefined;
  /** A `GET /` that was not counted. */
  visit: boolean;
}

type Listener = (refusal: Refusal) => void;

/**
 * What the guards under Fastify refused: they answer before Fastify's onResponse hook could see
 * the request, so metrics/ learns of them here (http-metrics.hook.ts), without http/ importing it.
 */
export class Refusals {
  private readonly listeners: Listener[] = [];

  listen(listener: Listener): void {
    this.listeners.push(listener);
  }

  refused(refusal: Refusal): void {
    for (const listener of this.listeners) listener(refusal);
  }
}

const byServer = new WeakMap<Server, Refusals>();

/** Made by createHttpServer with the server it guards. */
export function registerRefusals(server: Server, refusals: Refusals): void {
  byServer.set(server, refusals);
}

/** The refusals of a server that createHttpServer made (undefined for any other). */
export function refusalsOf(server: Server): Refusals | undefined {
  return byServer.get(server);
}

/** `GET /` with or without a query string: the request that records a visit. */
export function isVisit(method: string | undefined, url: string | undefined): boolean {
  return method === 'GET' && (url === '/' || url?.startsWith('/?') === true);
}
