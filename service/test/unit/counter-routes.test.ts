import type { HttpAdapterHost } from '@nestjs/core';
import Fastify from 'fastify';
import type { Config } from '../../src/config/config';
import { CounterRoutes } from '../../src/counter/counter.routes';
import { QueueFullError, type CounterStore } from '../../src/counter/counter-store';

describe('CounterRoutes', () => {
  it('answers a visit refused because the queue is full with 503 and Retry-After, so the client comes back', async () => {
    // The store's own behaviour at the limit is proven on a real file system (counter-store.test.ts);
    // here only the mapping to HTTP, on a real Fastify: a store that refuses as a full one does.
    const store = { increment: () => Promise.reject(new QueueFullError(4096)) } as unknown as CounterStore;
    const fastify = Fastify();
    const adapterHost = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
    new CounterRoutes(adapterHost, { podName: 'visits-0' } as Config, store).onModuleInit();
    const answer = await fastify.inject({ method: 'GET', url: '/' });
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringMatching(/4096 changes are already waiting/) as unknown,
    });
    expect(answer.headers['retry-after']).toBe('1');
    await fastify.close();
  });
});
