export { RawFrame } from './raw-frame';
export type { CaptureError, CaptureErrorCode } from './errors';
export { CaptureFramer, detectFormat, type CaptureFormat } from './framer';
export { readCaptureFile, type CaptureSummary, type ReadCaptureOptions } from './reader';
export { PcapWriter, type PcapWriterOptions } from './pcap.writer';
export { PcapFramer, PCAP_MAX_RECORD } from './pcap.framer';
export { PcapngFramer, PCAPNG_MAX_BLOCK } from './pcapng.framer';
