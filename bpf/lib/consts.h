/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * consts.h: the bounds and codes of the policy programs. Layouts shared with Swift live in
 * vd_abi.h (Sources/CVerdictABI/include); everything here is private to bpf/ unless a comment
 * says the loader or a test reads it too. Each bound sits behind #ifndef so that a verifier
 * experiment can override it with -D, but the shipped object uses these values.
 */
#ifndef VD_CONSTS_H
#define VD_CONSTS_H

/* Most __u64 words in one row of bits: 2048 words = 131072 terms per chain. A chain with more
 * words matches nothing (the loader refuses to write such a table first). The word search runs
 * in bpf_loop, so the verifier checks its body once whatever this is. */
#ifndef VD_MAX_WORDS
#define VD_MAX_WORDS 2048u
#endif

/* 802.1Q/802.1ad/QinQ tags skipped before the EtherType; a frame with more is dropped as
 * unparsed (PacketParser skips any number; no real frame has more than two). */
#ifndef VD_MAX_VLAN_TAGS
#define VD_MAX_VLAN_TAGS 8
#endif

/* IPv6 extension headers skipped: PacketParser.maxExtensionHeaders. */
#ifndef VD_MAX_EXT_HDRS
#define VD_MAX_EXT_HDRS 8
#endif

/* Default max_entries of every map. The loader sets the real sizes with
 * bpf_map__set_max_entries before load; these only keep an unsized object loadable. */
#define VD_DEFAULT_ENTRIES 1u
#define VD_DEFAULT_LPM_ENTRIES 16u
#define VD_DEFAULT_CT_ENTRIES 65536u

/* Why a frame was not classified: ParseOutcome's raw values, plus BPF-only reasons from 100. */
enum vd_parse_outcome {
	VD_PARSE_OK = 0,
	VD_PARSE_TRUNCATED_L2 = 1,
	VD_PARSE_NOT_IP = 2,
	VD_PARSE_TRUNCATED_L3 = 3,
	VD_PARSE_BAD_IP_VERSION = 4,
	VD_PARSE_BAD_IHL = 5,
	VD_PARSE_BAD_TOTAL_LENGTH = 6,
	VD_PARSE_TOO_MANY_EXT_HDRS = 7,
	VD_PARSE_TOO_MANY_VLANS = 100,
};

/* vd_bpf_result.conntrack: 0-4 as vd_abi.h documents, then the states of ConntrackState that
 * vd_abi.h does not name yet, and the BPF-only "no table" state. */
enum vd_ct_state {
	VD_CT_NEW = 0,         /* policy decided (first packet of a flow, or of a denied flow) */
	VD_CT_ESTABLISHED = 1, /* part of a tracked flow, either direction */
	VD_CT_RELATED = 2,     /* an ICMP error quoting a tracked flow */
	VD_CT_INVALID = 3,     /* no valid state: dropped before policy */
	VD_CT_UNPARSED = 4,    /* not IP (passed) or malformed/truncated IP (dropped) */
	VD_CT_FRAGMENT = 5,    /* a non-first fragment judged with its first fragment */
	VD_CT_UNTRACKED = 6,   /* decided by untracked (doNotTrack) policy */
	VD_CT_NO_TABLE = 7,    /* the active generation has no address data: passed, see verdict.h */
};

/* vd_bpf_point.kind: PointDecision.Kind. */
#define VD_POINT_CHAIN 0
#define VD_POINT_HOST_TO_LOCAL 1
#define VD_POINT_ENDPOINT_TO_HOST 2

/* Chain positions in vd_bpf_generation.chains: PolicyCompiler.chainOrder. */
#define VD_CH_WORKLOAD_IN 0
#define VD_CH_WORKLOAD_OUT 1
#define VD_CH_HOST_IN 2
#define VD_CH_HOST_OUT 3
#define VD_CH_FORWARD_IN 4
#define VD_CH_FORWARD_OUT 5
#define VD_CHAIN_COUNT 6

/* Where a program runs: traffic entering the interface (XDP, TC ingress) or leaving it (TC
 * egress). Only VD_MODE_ENDPOINT reads it. */
#define VD_HOOK_INGRESS 0
#define VD_HOOK_EGRESS 1

/* vd_ct_value.flags. Flow entries (family 4 or 6): */
#define VD_CT_F_REPLIED 0x1u  /* a packet went in the reply direction */
#define VD_CT_F_FIN 0x2u      /* a FIN was seen (TCP) */
#define VD_CT_F_RST 0x4u      /* an RST was seen (TCP) */
/* Fragment entries: vd_ct_key.family = VD_CT_FAMILY_FRAGMENT | 4 or 6, src/dst in the
 * fragment's direction, sport:dport = the identification (high:low 16 bits, host order),
 * protocol = the IPv4 protocol or 0 for IPv6 (as StatefulClassifier.FragmentKey). */
#define VD_CT_FAMILY_FRAGMENT 0x80u
#define VD_CT_F_FRAGMENT 0x100u
#define VD_CT_F_FRAG_ALLOW 0x200u

/* nf_conntrack's default timeouts, as ConnectionTracker uses them (ns). */
#define VD_NS_PER_S 1000000000ull
#define VD_CT_TCP_RST_NS (10ull * VD_NS_PER_S)
#define VD_CT_TCP_SHORT_NS (120ull * VD_NS_PER_S)       /* unreplied, or after a FIN */
#define VD_CT_TCP_ESTABLISHED_NS (432000ull * VD_NS_PER_S)
#define VD_CT_UDP_NS (30ull * VD_NS_PER_S)
#define VD_CT_UDP_REPLIED_NS (120ull * VD_NS_PER_S)
#define VD_CT_ICMP_NS (30ull * VD_NS_PER_S)
#define VD_CT_OTHER_NS (600ull * VD_NS_PER_S)

#define VD_ETH_P_IP 0x0800
#define VD_ETH_P_IPV6 0x86DD
#define VD_ETH_P_8021Q 0x8100
#define VD_ETH_P_8021AD 0x88A8
#define VD_ETH_P_QINQ 0x9100

#define VD_TCP_FIN 0x01
#define VD_TCP_SYN 0x02
#define VD_TCP_RST 0x04
#define VD_TCP_ACK 0x10

#endif /* VD_CONSTS_H */
