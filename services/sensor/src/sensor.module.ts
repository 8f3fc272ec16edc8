import { Module, type DynamicModule } from '@nestjs/common';
import { SENSOR_CONFIG, SensorService } from './sensor.service';
import type { SensorConfig } from './config';

@Module({})
export class SensorModule {
  static forRoot(cfg: SensorConfig): DynamicModule {
    return { module: SensorModule, providers: [{ provide: SENSOR_CONFIG, useValue: cfg }, SensorService], exports: [SensorService] };
  }
}
