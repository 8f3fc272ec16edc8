/** What the sensor counts; reported in every heartbeat. */
export class SensorCounters {
  packetsSeen = 0;
  kernelDropped = 0;
  malformed = 0;
  published = 0;
  publishErrors = 0;
  bufferDropped = 0;
  /** Batches published, for logs and benchmarks. */
  batchesPublished = 0;

  snapshot(): {
    packetsSeen: number;
    kernelDropped: number;
    malformed: number;
    published: number;
    publishErrors: number;
    bufferDropped: number;
  } {
    return {
      packetsSeen: this.packetsSeen,
      kernelDropped: this.kernelDropped,
      malformed: this.malformed,
      published: this.published,
      publishErrors: this.publishErrors,
      bufferDropped: this.bufferDropped,
    };
  }
}
