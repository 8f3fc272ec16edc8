// Exits 0 when the Kafka broker at argv[2] (host:port) answers an admin listTopics, 1 otherwise.
// Used by start.sh and scripts/test.sh; plain JS so it runs before anything is compiled.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] || process.env.KAFKA_BROKERS || '127.0.0.1:9092';
const kafka = new Kafka({
  clientId: 'netsentry-probe',
  brokers: broker.split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 3000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
const timer = setTimeout(() => process.exit(1), 5000);
admin
  .connect()
  .then(() => admin.listTopics())
  .then(() => admin.disconnect())
  .then(() => { clearTimeout(timer); process.exit(0); })
  .catch(() => process.exit(1));
