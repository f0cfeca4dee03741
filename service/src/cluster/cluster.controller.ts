import { Controller, Get, Header } from '@nestjs/common';
import { ClusterView, type ClusterAnswer } from './cluster-view';

/**
 * GET /visits/cluster. A static path of its own: Fastify's router matches it exactly, so
 * neither GET /visits nor a future parametric route can shadow it, and its metrics route
 * label is "/visits/cluster".
 */
@Controller('visits/cluster')
export class ClusterController {
  constructor(private readonly view: ClusterView) {}

  /** Always 200: a replica that does not answer is listed in `unreachable` and sets `partial`. */
  @Get()
  @Header('Cache-Control', 'no-store')
  cluster(): Promise<ClusterAnswer> {
    return this.view.build();
  }
}
