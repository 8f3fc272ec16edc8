import { AlertEntity } from './alert.entity';
import { AnomalyEntity } from './anomaly.entity';
import { FeatureSetEntity } from './feature-set.entity';
import { FlowEntity } from './flow.entity';
import { ModelEntity } from './model.entity';
import { SensorEntity } from './sensor.entity';
import { StatsEntity } from './stats.entity';

export { AlertEntity, AnomalyEntity, FeatureSetEntity, FlowEntity, ModelEntity, SensorEntity, StatsEntity };
export const ENTITIES = [FlowEntity, FeatureSetEntity, AlertEntity, AnomalyEntity, StatsEntity, SensorEntity, ModelEntity];
