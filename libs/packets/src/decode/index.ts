export { DecodeError, DecodeCounters, DECODE_ERROR_NAMES, DECODE_ERROR_COUNT } from './errors';
export { decodeFrame, isSupportedLinkType, LinkType } from './frame';
export { warmUpDecoder } from './warm-up';
