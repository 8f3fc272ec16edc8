const EMPTY = Buffer.alloc(0);

/**
 * One captured frame as framed from a file, before decoding. The framer reuses ONE instance:
 * `buf` is only valid during the callback that receives it; copy the bytes to keep them.
 */
export class RawFrame {
  /** LINKTYPE_* of the interface the frame was captured on. */
  linkType = 0;
  /** Interface index (pcapng interface id within its section; 0 for pcap). */
  ifIndex = 0;
  /** Capture time in integer microseconds since the epoch. */
  tsUs = 0;
  /** Bytes present in `buf` starting at `off`. */
  capLen = 0;
  /** Original length on the wire. */
  wireLen = 0;
  /** Buffer holding the frame bytes at `[off, off + capLen)`. */
  buf: Buffer = EMPTY;
  /** Offset of the first frame byte in `buf`. */
  off = 0;
  /** Byte offset of the frame's record (pcap record header / pcapng block) in the decompressed file. */
  fileOffset = 0;
}
