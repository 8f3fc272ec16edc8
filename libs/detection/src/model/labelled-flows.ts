import { join } from 'node:path';
import type { FlowV1 } from '@netsentry/contracts';
import { flowsFromCapture } from './capture-flows';

/**
 * A labelled real-flow set from the shared third-party captures (../shared/data/pcaps), for the
 * scikit-learn comparison and the benchmark: every flow of the captures labelled `benign` (the
 * baseline a model is trained on), and the flows of attack captures (scans, sweeps, floods,
 * brute force, an exploit), at most `perAttackCapture` from each (the first ones, in export
 * order), so no single attack dominates.
 */
export const BENIGN_CAPTURES = [
  'zeek/http-bro.org.pcap',
  'zeek/irc-dcc-send.pcapng',
  'zeek/ftp-ipv6.pcap',
  'zeek/ftp-cwd-navigation.pcap',
  'suricata-verify/sll2-http.pcap',
  'suricata-verify/rawip-tls-session.pcap',
  'suricata-verify/null-loopback-http.pcap',
  'suricata-verify/vlan-ipv6-http.pcap',
  'zeek/vlan-collisions.pcap',
  'zeek/pppoe-over-qinq.pcap',
  'zeek/pcapng-multi-interface.pcapng',
  'zeek/ldap-issue-32.sll.pcapng',
  'suricata-verify/nfs3.bigendian.pcap',
  'zeek/http-get-to-ssh-server.nanosec.pcap',
] as const;

export const ATTACK_CAPTURES = [
  'esnet-curated/masscan_tcp_0_1000_20190821.pcap',
  'esnet-curated/masscan_udp_0_1000_20190821.pcap',
  'esnet-curated/nmap_80_all.pcap',
  'esnet-curated/nmap_80_w_service_detection.pcap',
  'stopddos/pkt.TCP.synflood.spoofed.pcap',
  'stopddos/amp.UDP.snmp.src161.pcapng',
  'stopddos/amp.dns.RRSIG.fragmented.pcap',
  'stopddos/amp.TCP.reflection.SYNACK.pcap',
  'suricata-verify/ipv6-denial6-5.pcap',
  'sgr-favilli/hs-icmpScan.pcap',
  'sgr-favilli/hs-tcp_synPingSweepRand.pcapng',
  'sgr-favilli/hs-udpScan.pcap',
  'zeek/ssh-sshguess.pcap',
  'zeek/ftp-bruteforce.pcap',
  'suricata-verify/sll-log4shell-poc.pcap',
] as const;

export interface LabelledFlows {
  benign: FlowV1[];
  attack: FlowV1[];
}

export async function loadLabelledFlows(pcapsDir: string, perAttackCapture = 40): Promise<LabelledFlows> {
  const benign: FlowV1[] = [];
  const attack: FlowV1[] = [];
  for (const f of BENIGN_CAPTURES) benign.push(...(await flowsFromCapture(join(pcapsDir, f), 'benign')));
  for (const f of ATTACK_CAPTURES) attack.push(...(await flowsFromCapture(join(pcapsDir, f), 'attack')).slice(0, perAttackCapture));
  return { benign, attack };
}
