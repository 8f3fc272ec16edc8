export { RawFrame } from './raw-frame';
export type { CaptureError, CaptureErrorCode } from './errors';
export { CaptureFramer, detectFormat, type CaptureFormat } from './framer';
export { readCaptureFile, type CaptureSummary, type ReadCaptureOptions } from './reader';
