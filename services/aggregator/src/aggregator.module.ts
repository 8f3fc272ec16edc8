import { Module, type DynamicModule } from '@nestjs/common';
import { AGGREGATOR_CONFIG, PacketsConsumer } from './packets.consumer';
import type { AggregatorConfig } from './config';

@Module({})
export class AggregatorModule {
  static forRoot(cfg: AggregatorConfig): DynamicModule {
    return { module: AggregatorModule, providers: [{ provide: AGGREGATOR_CONFIG, useValue: cfg }, PacketsConsumer], exports: [PacketsConsumer] };
  }
}
