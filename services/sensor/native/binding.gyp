{
  "targets": [
    {
      "target_name": "pcap_ring",
      "sources": ["pcap_ring.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
