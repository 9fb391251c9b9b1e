#pragma once
/*
 * libpcap for Swift. pcap/bpf.h defines the classic-BPF `struct bpf_insn`, which clashes with the
 * eBPF struct of the same name in linux/bpf.h once a Swift module imports both C modules
 * ("'bpf_insn::code' from module 'CPcap' is not present in definition of 'struct bpf_insn'").
 * Renaming it here removes the clash; the shim can go if libpcap ever namespaces its struct.
 */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
