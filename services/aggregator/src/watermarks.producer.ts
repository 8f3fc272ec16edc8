// Watermarks to every partition of flows and stats: the message shape lives in libs/messaging
// (consumers and tools read and write the same envelope).
export { watermarkMessages } from '@netsentry/messaging';
