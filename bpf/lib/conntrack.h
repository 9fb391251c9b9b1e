/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * conntrack.h: the flow table of SEMANTICS §5.3 / docs/DECISIONS.md 17 in vd_ct, with the
 * behaviour of Sources/Classifier/ConnectionTracker.swift: one entry per allowed flow, keyed in
 * its canonical direction (the lower endpoint, address then port, as source), refreshed by every
 * packet of either direction, and expired by nf_conntrack's default timeouts. Also the
 * first-fragment verdicts that non-first fragments take (DECISIONS 19).
 */
#ifndef VD_CONNTRACK_H
#define VD_CONNTRACK_H

#include "maps.h"
#include <bpf/bpf_endian.h>
#include "parse.h"

/* The flow key of a packet in its own direction (FlowKey.init(_:)): ports for TCP/UDP/UDP-Lite/
 * SCTP, the identifier in both ports for ICMP queries, else 0. */
static __always_inline void vd_ct_key_of(const struct vd_hdr *h, struct vd_ct_key *k)
{
	__builtin_memcpy(k->src, h->src, 16);
	__builtin_memcpy(k->dst, h->dst, 16);
	k->protocol = h->protocol;
	k->family = h->ip_version;
	if (vd_has_ports(h)) {
		k->sport = bpf_htons(h->sport);
		k->dport = bpf_htons(h->dport);
	} else if (h->l4_present && vd_icmp_query(h->ip_version, h->protocol, h->icmp_type)) {
		k->sport = bpf_htons(h->echo_id);
		k->dport = bpf_htons(h->echo_id);
	}
}

/* The flow key of the packet an ICMP error quotes, in the quoted packet's direction
 * (FlowKey.init(embedded:)). */
static __always_inline void vd_ct_key_of_quoted(const struct vd_embedded *e, struct vd_ct_key *k)
{
	__builtin_memcpy(k->src, e->src, 16);
	__builtin_memcpy(k->dst, e->dst, 16);
	k->protocol = e->protocol;
	k->family = e->ip_version;
	if (e->l4_present && vd_ports_protocol(e->protocol)) {
		k->sport = bpf_htons(e->sport);
		k->dport = bpf_htons(e->dport);
	} else if (e->l4_present && vd_icmp_query(e->ip_version, e->protocol, e->icmp_type)) {
		k->sport = bpf_htons(e->echo_id);
		k->dport = bpf_htons(e->echo_id);
	}
}

/* 1 when the key's source sorts at or before its destination (FlowKey.isCanonical): addresses
 * as big-endian numbers, then ports. */
static __always_inline int vd_ct_is_canonical(const struct vd_ct_key *k)
{
	int i;

	for (i = 0; i < 16; i++) {
		if (k->src[i] != k->dst[i])
			return k->src[i] < k->dst[i];
	}
	return bpf_ntohs(k->sport) <= bpf_ntohs(k->dport);
}

/* Turns `k` into its canonical form; returns 1 when it already was (the packet travels from
 * key.src to key.dst). */
static __always_inline int vd_ct_canonicalize(struct vd_ct_key *k)
{
	__u8 tmp[16];
	__u16 port;

	if (vd_ct_is_canonical(k))
		return 1;
	__builtin_memcpy(tmp, k->src, 16);
	__builtin_memcpy(k->src, k->dst, 16);
	__builtin_memcpy(k->dst, tmp, 16);
	port = k->sport;
	k->sport = k->dport;
	k->dport = port;
	return 0;
}

/* How long an entry lives after its last packet (ConnectionTracker.timeout). */
static __always_inline __u64 vd_ct_timeout(__u8 protocol, __u32 flags)
{
	switch (protocol) {
	case 6:
		if (flags & VD_CT_F_RST)
			return VD_CT_TCP_RST_NS;
		if ((flags & VD_CT_F_FIN) || !(flags & VD_CT_F_REPLIED))
			return VD_CT_TCP_SHORT_NS;
		return VD_CT_TCP_ESTABLISHED_NS;
	case 17:
	case 136:
		return (flags & VD_CT_F_REPLIED) ? VD_CT_UDP_REPLIED_NS : VD_CT_UDP_NS;
	case 1:
	case 58:
		return VD_CT_ICMP_NS;
	default:
		return VD_CT_OTHER_NS;
	}
}

/* The live entry for `k` (in the packet's direction) in either direction, refreshed by this
 * packet: 1 on a hit (ConnectionTracker.lookup). `k` is canonicalized in place. */
static __noinline int vd_ct_lookup(struct vd_ct_key *k, __u64 now, __u8 tcp_flags)
{
	struct vd_ct_value *v;
	__u32 flags;
	int forward = vd_ct_canonicalize(k);

	v = bpf_map_lookup_elem(&vd_ct, k);
	if (!v)
		return 0;
	flags = v->flags;
	if (flags & VD_CT_F_FRAGMENT)
		return 0;
	if (now >= v->last_seen_ns + vd_ct_timeout(k->protocol, flags))
		return 0;
	if ((__u32)forward != v->originator_is_src)
		flags |= VD_CT_F_REPLIED;
	if (k->protocol == 6) {
		if (tcp_flags & VD_TCP_RST)
			flags = (flags & ~VD_CT_F_FIN) | VD_CT_F_RST;
		else if ((tcp_flags & VD_TCP_FIN) && !(flags & (VD_CT_F_FIN | VD_CT_F_RST)))
			flags |= VD_CT_F_FIN;
	}
	v->flags = flags;
	v->last_seen_ns = now;
	return 1;
}

/* Records a new flow in the packet's direction (ConnectionTracker.insert). */
static __always_inline void vd_ct_insert(struct vd_ct_key *k, __u64 now)
{
	struct vd_ct_value v = {};

	v.originator_is_src = vd_ct_canonicalize(k);
	v.last_seen_ns = now;
	bpf_map_update_elem(&vd_ct, k, &v, BPF_ANY);
}

/* The key of a fragmented datagram (StatefulClassifier.FragmentKey: IPv6 leaves the protocol
 * out, because a non-first fragment's headers stop at the fragment header). */
static __always_inline void vd_frag_key_of(const struct vd_hdr *h, struct vd_ct_key *k)
{
	__builtin_memcpy(k->src, h->src, 16);
	__builtin_memcpy(k->dst, h->dst, 16);
	k->sport = h->ip_id >> 16;
	k->dport = h->ip_id & 0xffff;
	k->protocol = h->ip_version == 6 ? 0 : h->protocol;
	k->family = VD_CT_FAMILY_FRAGMENT | h->ip_version;
}

/* The verdict a first fragment got: -1 when none is recorded. */
static __always_inline int vd_frag_lookup(const struct vd_hdr *h)
{
	struct vd_ct_key k = {};
	struct vd_ct_value *v;

	vd_frag_key_of(h, &k);
	v = bpf_map_lookup_elem(&vd_ct, &k);
	if (!v || !(v->flags & VD_CT_F_FRAGMENT))
		return -1;
	return (v->flags & VD_CT_F_FRAG_ALLOW) ? 1 : 0;
}

/* Remembers a first fragment's data-plane verdict (StatefulClassifier.recordFirstFragment). */
static __always_inline void vd_frag_record(const struct vd_hdr *h, __u64 now, int allow)
{
	struct vd_ct_key k = {};
	struct vd_ct_value v = {};

	if (!(h->is_fragment && h->is_first_fragment))
		return;
	vd_frag_key_of(h, &k);
	v.last_seen_ns = now;
	v.flags = VD_CT_F_FRAGMENT | (allow ? VD_CT_F_FRAG_ALLOW : 0);
	bpf_map_update_elem(&vd_ct, &k, &v, BPF_ANY);
}

#endif /* VD_CONNTRACK_H */
