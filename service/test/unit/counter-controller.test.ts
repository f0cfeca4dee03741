import { HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Config } from '../../src/config/config';
import { CounterController } from '../../src/counter/counter.controller';
import { QueueFullError, type CounterStore } from '../../src/counter/counter-store';

describe('CounterController', () => {
  it('answers a visit refused because the queue is full with 503 and Retry-After, so the client comes back', async () => {
    // The store's own behaviour at the limit is proven on a real file system (counter-store.test.ts);
    // here only the mapping to HTTP: a store that refuses as a full one does.
    const store = { increment: () => Promise.reject(new QueueFullError(4096)) } as unknown as CounterStore;
    const controller = new CounterController(store, { podName: 'visits-0' } as Config);
    const headers: Record<string, unknown> = {};
    const reply = { header: (name: string, value: unknown) => (headers[name] = value) } as unknown as FastifyReply;
    const error = await controller.visit(reply).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).getStatus()).toBe(503);
    expect((error as HttpException).message).toMatch(/4096 changes are already waiting/);
    expect(headers).toEqual({ 'Retry-After': 1 });
  });
});
