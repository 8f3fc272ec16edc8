import { AlertEntity } from './alert.entity';
import { AnomalyEntity } from './anomaly.entity';
import { FlowEntity } from './flow.entity';
import { ModelEntity } from './model.entity';
import { SensorEntity } from './sensor.entity';
import { StatsEntity } from './stats.entity';

export { AlertEntity, AnomalyEntity, FlowEntity, ModelEntity, SensorEntity, StatsEntity };
export const ENTITIES = [FlowEntity, AlertEntity, AnomalyEntity, StatsEntity, SensorEntity, ModelEntity];
