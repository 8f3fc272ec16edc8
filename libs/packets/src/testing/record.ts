import type { PacketRecord } from '../packet';

/** Every field of a record as a plain array, for equality checks in tests. */
export function recordFields(r: PacketRecord): unknown[] {
  return [
    r.tsUs, r.wireLen, r.capLen, r.linkType, r.ifIndex, r.vlanOuter, r.vlanInner, r.l3, ...r.src, ...r.dst,
    r.proto, r.ttl, r.ipHdrLen, r.ipLen, r.isFragment, r.isFirstFragment, r.srcPort, r.dstPort, r.tcpFlags,
    r.seq, r.ack, r.window, r.l4HdrLen, r.payloadLen, r.icmpType, r.icmpCode, r.arpOp, r.arpSenderIp, r.arpTargetIp,
  ];
}
