/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * verdict.h: one frame → allow or drop, as Sources/Classifier/StatefulClassifier.swift judges a
 * packet of a capture, and the mapping of that answer to XDP and TC actions. In order:
 *
 *   1. Not IP (ARP, LLDP, ...): passed, conntrack "unparsed". Malformed or truncated IP (any
 *      other parse failure, or an L4 header cut short when it should carry ports or ICMP
 *      fields): dropped, conntrack "unparsed".
 *   2. The stateless policy verdict of every parsed packet (classify.h) goes into vd_last. When
 *      the active generation holds no table (the address lookup misses, as with empty maps),
 *      the packet is passed, conntrack "no table", no points: loading a table is what turns
 *      enforcement on.
 *   3. Decided by an untracked rule: that verdict, no conntrack (DECISIONS 18).
 *   4. A non-first fragment: the verdict of its datagram's first fragment when one was
 *      recorded, else the stateless verdict (DECISIONS 19).
 *   5. An ICMP error: allowed (RELATED) when its quoted packet belongs to a tracked flow, else
 *      dropped (INVALID), also when nothing is quoted.
 *   6. A packet of a tracked flow, either direction: allowed (ESTABLISHED).
 *   7. A packet that cannot open a flow (ICMP echo/timestamp/info/mask reply, TCP RST, FIN,
 *      SYN-ACK, or neither SYN nor ACK): dropped (INVALID).
 *   8. Otherwise the policy verdict (NEW): an allowed packet opens a flow; the hit counter of
 *      every point's deciding rule goes up by one, allowed or not.
 *   First fragments record their data-plane verdict of 6, 7 or 8 for step 4.
 */
#ifndef VD_VERDICT_H
#define VD_VERDICT_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include "maps.h"
#include "parse.h"
#include "classify.h"
#include "conntrack.h"

/* Why Linux conntrack gives no state to a packet without a flow (StatefulClassifier
 * .cannotOpenFlow): 1 for INVALID. */
static __always_inline int vd_cannot_open_flow(const struct vd_hdr *h)
{
	if (vd_is_icmp(h) && h->l4_present) {
		__u8 t = h->icmp_type;

		if (h->ip_version == 4 ? (t == 0 || t == 14 || t == 16 || t == 18) : t == 129)
			return 1;
	}
	if (h->protocol == 6 && h->l4_present) {
		__u8 f = h->tcp_flags;

		if (f & VD_TCP_RST)
			return 1;
		if ((f & VD_TCP_SYN) && (f & VD_TCP_ACK))
			return 1;
		if (f & VD_TCP_FIN)
			return 1;
		if (!(f & (VD_TCP_SYN | VD_TCP_ACK)))
			return 1;
	}
	return 0;
}

/* The data-plane verdict of the frame: 1 allow, 0 drop. Fills this CPU's vd_last. */
static __always_inline int vd_judge(void *ctx, __u32 len, __u32 hook, __u64 now)
{
	struct vd_bpf_result *res;
	struct vd_hdr h = {};
	struct vd_ct_key k = {};
	__u32 zero = 0, gen = 0;
	int non_first, allow;

	res = bpf_map_lookup_elem(&vd_last, &zero);
	if (!res)
		return 1;
	__builtin_memset(res, 0, sizeof(*res));

	/* 1. */
	if (vd_parse(ctx, len, &h) != VD_PARSE_OK) {
		res->conntrack = VD_CT_UNPARSED;
		res->allow = h.outcome == VD_PARSE_NOT_IP;
		return res->allow;
	}
	non_first = h.is_fragment && !h.is_first_fragment;
	if (!h.l4_present && !non_first && (vd_ports_protocol(h.protocol) || vd_is_icmp(&h))) {
		res->conntrack = VD_CT_UNPARSED;
		return 0;
	}
	/* 2. */
	if (!vd_classify(&h, hook, res, &gen)) {
		__builtin_memset(res, 0, sizeof(*res));
		res->conntrack = VD_CT_NO_TABLE;
		res->allow = 1;
		return 1;
	}
	allow = res->allow;
	/* 3. */
	if (vd_decided_untracked(res, gen)) {
		res->conntrack = VD_CT_UNTRACKED;
		return allow;
	}
	/* 4. */
	if (non_first) {
		int v = vd_frag_lookup(&h);

		if (v >= 0) {
			res->allow = v;
			res->conntrack = VD_CT_FRAGMENT;
		} else {
			res->conntrack = VD_CT_NEW;
		}
		return res->allow;
	}
	/* 5. */
	if (h.l4_present && vd_icmp_error(h.ip_version, h.protocol, h.icmp_type)) {
		if (h.has_embedded) {
			vd_ct_key_of_quoted(&h.emb, &k);
			if (vd_ct_lookup(&k, now, 0)) {
				res->allow = 1;
				res->conntrack = VD_CT_RELATED;
				return 1;
			}
		}
		res->allow = 0;
		res->conntrack = VD_CT_INVALID;
		return 0;
	}
	/* 6. */
	vd_ct_key_of(&h, &k);
	if (vd_ct_lookup(&k, now, h.tcp_flags)) {
		res->allow = 1;
		res->conntrack = VD_CT_ESTABLISHED;
		vd_frag_record(&h, now, 1);
		return 1;
	}
	/* 7. */
	if (vd_cannot_open_flow(&h)) {
		res->allow = 0;
		res->conntrack = VD_CT_INVALID;
		vd_frag_record(&h, now, 0);
		return 0;
	}
	/* 8. */
	if (allow) {
		__builtin_memset(&k, 0, sizeof(k));
		vd_ct_key_of(&h, &k);
		vd_ct_insert(&k, now);
	}
	vd_count_hits(res, gen);
	vd_frag_record(&h, now, allow);
	res->conntrack = VD_CT_NEW;
	return allow;
}

/* The answer as an XDP action. */
static __always_inline int vd_xdp_action(int allow)
{
	return allow ? XDP_PASS : XDP_DROP;
}

/* The answer as a TC (clsact, direct-action) verdict. */
static __always_inline int vd_tc_action(int allow)
{
	return allow ? TC_ACT_OK : TC_ACT_SHOT;
}

#endif /* VD_VERDICT_H */
