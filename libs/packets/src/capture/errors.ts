/**
 * Structural damage in a capture file: a closed set of stable codes. The reader stops at the
 * damage and returns this in its summary (everything before it was delivered); it never throws.
 */
export type CaptureErrorCode =
  /** The file has no bytes at all. */
  | 'CAPTURE.EMPTY'
  /** The first bytes are neither a pcap nor a pcapng magic number. */
  | 'PCAP.BAD_MAGIC'
  /** The file ends inside the 24-byte pcap global header. */
  | 'PCAP.TRUNCATED_HEADER'
  /** The file ends inside a record header or its packet data. */
  | 'PCAP.TRUNCATED_RECORD'
  /** A record claims more captured bytes than any real capture holds (hostile or corrupt). */
  | 'PCAP.BAD_RECORD_LENGTH'
  /** A section header's byte-order magic is neither 0x1a2b3c4d nor its swap. */
  | 'PCAPNG.BAD_BYTE_ORDER'
  /** Section header major version is not 1. */
  | 'PCAPNG.UNSUPPORTED_VERSION'
  /** A block length is below 12, not a multiple of 4, too large, or differs from its trailer. */
  | 'PCAPNG.BAD_BLOCK_LENGTH'
  /** The file ends inside a block. */
  | 'PCAPNG.TRUNCATED_BLOCK'
  /** A packet block's captured length runs past the end of its block. */
  | 'PCAPNG.BAD_PACKET_LENGTH'
  /** A packet block names an interface no Interface Description Block declared. */
  | 'PCAPNG.UNKNOWN_INTERFACE'
  /** More interfaces in one section than we are willing to track. */
  | 'PCAPNG.TOO_MANY_INTERFACES'
  /** Gzip data is corrupt or ends early. */
  | 'GZIP.CORRUPT'
  /** Reading failed part-way (I/O error). */
  | 'CAPTURE.READ_ERROR'
  /** The caller aborted the read (AbortSignal). */
  | 'CAPTURE.ABORTED';

export interface CaptureError {
  code: CaptureErrorCode;
  /** Human-readable, names the file and the byte offset. */
  message: string;
  /** Byte offset (in the decompressed stream) of the damaged record or block. */
  offset: number;
}

export function captureError(code: CaptureErrorCode, name: string, offset: number, what: string): CaptureError {
  return { code, offset, message: `${name}: ${what} at byte offset ${offset} (${code})` };
}
