import { Module, type DynamicModule } from '@nestjs/common';
import { DETECTOR_CONFIG, DetectorConsumer } from './detector.consumer';
import { ModelWatcher } from './model.watcher';
import { RetrainScheduler } from './retrain.scheduler';
import { ALERT_CHANNEL, AlertsNotifier, NOTIFY_MIN_SEVERITY, type AlertChannel } from './alerts.notifier';
import type { DetectorConfig } from './config';

@Module({})
export class DetectorModule {
  static forRoot(cfg: DetectorConfig, channel: AlertChannel | null): DynamicModule {
    return {
      module: DetectorModule,
      providers: [
        { provide: DETECTOR_CONFIG, useValue: cfg },
        { provide: 'DETECTOR_SENSOR_GROUP', useValue: cfg.sensorGroup },
        { provide: ALERT_CHANNEL, useValue: channel },
        { provide: NOTIFY_MIN_SEVERITY, useValue: cfg.notifyMinSeverity },
        ModelWatcher,
        AlertsNotifier,
        DetectorConsumer,
        RetrainScheduler,
      ],
      exports: [DetectorConsumer, RetrainScheduler],
    };
  }
}
