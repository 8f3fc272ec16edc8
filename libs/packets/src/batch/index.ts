export {
  PacketBatchBuilder,
  PacketBatch,
  decodePacketBatch,
  PacketBatchDecoder,
  BATCH_VERSION,
  BATCH_HEADER,
  BATCH_MAX_PACKETS,
  ROW_BYTES,
  type PacketBatchResult,
  type PacketBatchErrorCode,
  type PacketBatchColumns,
} from './packet-batch';
