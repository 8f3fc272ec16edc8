import { PacketRecord, PcapWriter, RawFrame, decodeFrame, ipToString } from '@netsentry/packets';
import { CliError } from '../errors';
import { captureLive } from '../sources';
import { fmtTime } from '../output/text';

export interface CaptureOptions {
  iface: string;
  write?: string;
  count?: number;
  bpf?: string;
  durationS?: number;
  snaplen: number;
  quiet?: boolean;
  print?: (s: string) => void;
  note?: (s: string) => void;
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** capture: live packets to a pcap file (-w), or one summary line per packet on stdout. */
export async function runCapture(o: CaptureOptions): Promise<{ packets: number }> {
  const print = o.print ?? ((s: string) => process.stdout.write(s + '\n'));
  const note = o.note ?? ((s: string) => process.stderr.write(s + '\n'));
  let writer: PcapWriter | null = null;
  const frame = new RawFrame();
  const rec = new PacketRecord();
  const res = await captureLive(null, {
    iface: o.iface,
    bpf: o.bpf,
    count: o.count,
    durationS: o.durationS,
    snaplen: o.snaplen,
    onOpen: () => {
      if (!o.quiet)
        note(
          `netsentry: capturing on ${o.iface}${o.bpf ? ` (filter: ${o.bpf})` : ''}${o.write ? ` to ${o.write}` : ''}` +
            `${o.count ? `, ${o.count} packets` : ''}${o.durationS ? `, ${o.durationS} s` : ''}; Ctrl-C to stop`,
        );
    },
    onFrame: (buf, capLen, wireLen, tsUs, linkType) => {
      if (o.write) {
        if (!writer) {
          try {
            writer = new PcapWriter(o.write, { linkType, snaplen: o.snaplen });
          } catch (e) {
            throw new CliError('CLI.OUTPUT', `${o.write}: cannot write: ${(e as Error).message}`);
          }
        }
        frame.linkType = linkType;
        frame.tsUs = tsUs;
        frame.capLen = capLen;
        frame.wireLen = wireLen;
        frame.buf = buf;
        frame.off = 0;
        writer.write(frame);
        return;
      }
      if (decodeFrame(linkType, buf, 0, capLen, wireLen, tsUs, rec) !== 0) {
        print(`${fmtTime(tsUs / 1e6)} undecodable frame, ${wireLen} bytes`);
        return;
      }
      print(packetLine(rec));
    },
  });
  // Even with no packet captured, -w leaves a valid (empty) capture behind.
  if (o.write && !writer) writer = new PcapWriter(o.write, { linkType: res.linkType, snaplen: o.snaplen });
  await (writer as PcapWriter | null)?.close();
  if (!o.quiet) note(`netsentry: ${res.packets} packets captured${o.write ? ` to ${o.write}` : ''}`);
  return { packets: res.packets };
}

export function packetLine(r: PacketRecord): string {
  const t = fmtTime(r.tsUs / 1e6).slice(11);
  if (r.l3 === 0x0806) return `${t} ARP op ${r.arpOp} ${intToIp(r.arpSenderIp)} -> ${intToIp(r.arpTargetIp)}, length ${r.wireLen}`;
  const p = PROTO_NAMES[r.proto] ?? `proto ${r.proto}`;
  const ports = r.proto === 6 || r.proto === 17;
  const src = ipToString(r.src) + (ports ? `.${r.srcPort}` : '');
  const dst = ipToString(r.dst) + (ports ? `.${r.dstPort}` : '');
  return `${t} ${p} ${src} > ${dst}, length ${r.wireLen}`;
}

function intToIp(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
