/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * classify.h: a parsed packet → the policing points of its path and, per point, the deciding
 * rule. The same algorithm as Sources/Classifier/Classifier.swift, over the maps of maps.h.
 *
 * Precedence, as the program applies it:
 *   1. The active generation is vd_cfg.generation; every lookup below uses that generation's
 *      data only (vd_gen, the generation word of the LPM keys, the bases of each chain), so a
 *      packet sees one whole table.
 *   2. Source and destination address → (atom, owning endpoint) by longest prefix in vd_ip4 /
 *      vd_ip6. A miss means the generation holds no table: the packet is not classified
 *      (VD_CT_NO_TABLE, see verdict.h).
 *   3. The path (Classifier.classify, SEMANTICS §2.8), in node mode:
 *        host → workload on the same node: one point, not policed (allow);
 *        source is a workload: its egress chain; then, to a host endpoint of its own node, the
 *          DefaultEndpointToHostAction point and nothing else; to another node, the forward
 *          egress chain of its node's uplink;
 *        source is a host endpoint: the host egress chain;
 *        destination is a workload: the forward ingress chain of its node's uplink (when it
 *          is on another node), then its ingress chain;
 *        destination is a host endpoint: the host ingress chain.
 *      In endpoint mode, one point: the enforced endpoint's own chain for the packet's
 *      direction relative to it (vd_path_endpoint).
 *   4. At one point, the keys: subject = the endpoint whose policy is evaluated; src/dst = the
 *      atoms; proto = 256 + (IPv6 ? 65536 : 0) + (type << 8 | code) when the chain has ICMP keys
 *      and the ICMP header is present, else the protocol; ports = the port, or 65536 (VD_NO_PORT)
 *      when the packet has none. Each key maps to a class (vd_class), each class to a row of
 *      bits, one per term (vd_rows); a trivial dimension is class 0 with an all-ones row.
 *   5. The deciding term is the lowest t with bit t set in all six rows; a subject class of
 *      VD_NONE (the endpoint is not in the chain) or no such term means no rule: the point
 *      denies.
 *   6. A Pass rule restarts the search at its pass_target (always further on) until an Allow or
 *      Deny rule decides.
 *   7. The packet is allowed by policy when every point allows.
 */
#ifndef VD_CLASSIFY_H
#define VD_CLASSIFY_H

#include <bpf/bpf_endian.h>
#include "maps.h"
#include "parse.h"

/* The six keys of one packet at one point. */
struct vd_keys {
	__u32 key[VD_DIM_COUNT];
};

/* State of one search through the rows of a chain, shared with the bpf_loop callback. */
struct vd_search {
	__u32 row[VD_DIM_COUNT]; /* index in vd_rows of word 0 of each dimension's row */
	__u32 trivial;           /* bit d: dimension d is all ones */
	__u32 words;
	__u32 terms;
	__u32 cur;               /* first term still to consider */
	__u32 term_base;
	__u32 rule_base;
	__u32 rule;              /* the answer, VD_NONE until found */
};

/* Index of the lowest set bit of a non-zero word (no ctz instruction in BPF). */
static __always_inline __u32 vd_ctz64(__u64 x)
{
	__u32 n = 0;

	if (!(x & 0xffffffffull)) { n += 32; x >>= 32; }
	if (!(x & 0xffffull)) { n += 16; x >>= 16; }
	if (!(x & 0xffull)) { n += 8; x >>= 8; }
	if (!(x & 0xfull)) { n += 4; x >>= 4; }
	if (!(x & 0x3ull)) { n += 2; x >>= 2; }
	if (!(x & 0x1ull)) { n += 1; }
	return n;
}

/* One step of the search: the word holding term `cur`. Returns 1 to stop (answer in s->rule). */
static long vd_search_step(__u32 i, void *data)
{
	struct vd_search *s = data;
	__u32 wi = s->cur >> 6, d, term, key;
	__u64 x = ~0ull;
	__u32 *rule;
	struct vd_bpf_rule *r;

	if (s->cur >= s->terms || wi >= s->words)
		return 1;
	for (d = 0; d < VD_DIM_COUNT; d++) {
		__u64 *w;

		if (s->trivial & (1u << d))
			continue;
		key = s->row[d] + wi;
		w = bpf_map_lookup_elem(&vd_rows, &key);
		if (!w)
			return 1;
		x &= *w;
		if (!x)
			break;
	}
	x &= ~0ull << (s->cur & 63);
	if (!x) {
		s->cur = (wi + 1) << 6;
		return 0;
	}
	term = wi << 6 | vd_ctz64(x);
	if (term >= s->terms)
		return 1;
	key = s->term_base + term;
	rule = bpf_map_lookup_elem(&vd_term_rule, &key);
	if (!rule)
		return 1;
	key = s->rule_base + *rule;
	r = bpf_map_lookup_elem(&vd_rules, &key);
	if (!r)
		return 1;
	if (r->action != VD_ACTION_PASS) {
		s->rule = *rule;
		return 1;
	}
	/* Pass targets only move forward; anything else is a corrupt table: no rule. */
	if (r->pass_target <= term)
		return 1;
	s->cur = r->pass_target;
	return 0;
}

/* The deciding rule of chain `ch` for the keys `k`, or VD_NONE (Classifier.firstMatch). */
static __noinline __u32 vd_decide(const struct vd_bpf_chain *ch, const struct vd_keys *k)
{
	struct vd_search s = {};
	__u32 d, key, *cls;

	s.words = ch->words;
	s.terms = ch->term_count;
	s.trivial = ch->trivial_dims;
	s.term_base = ch->term_base;
	s.rule_base = ch->rule_base;
	s.rule = VD_NONE;
	if (s.words == 0 || s.words > VD_MAX_WORDS || s.terms > s.words * 64)
		return VD_NONE;
	for (d = 0; d < VD_DIM_COUNT; d++) {
		if (s.trivial & (1u << d))
			continue;
		key = ch->map_base[d] + k->key[d];
		cls = bpf_map_lookup_elem(&vd_class, &key);
		if (!cls)
			return VD_NONE;
		if (d == VD_DIM_SUBJECT && *cls == VD_NONE)
			return VD_NONE;
		s.row[d] = ch->row_base[d] + *cls * s.words;
	}
	/* Each step moves `cur` forward by at least one term, so words + terms steps always
	 * suffice; the callback stops at the answer. */
	bpf_loop(s.words + s.terms + 1, vd_search_step, &s, 0);
	return s.rule;
}

/* What the path walk needs of the packet and the generation. */
struct vd_path {
	struct vd_keys keys;     /* key[VD_DIM_SUBJECT] is set per point */
	__u32 gen;               /* index into vd_gen */
	__u32 src_ep, dst_ep;    /* owning endpoints, or VD_NONE */
	__u32 src_node, dst_node;
	__s32 src_kind, dst_kind; /* enum vd_endpoint_kind, or -1 */
	__u32 icmp_tc;           /* type << 8 | code, or VD_NONE */
	__u32 v6;
	__u8 protocol;
};

/* Appends one point to `res` (PathVerdict.append: at most VD_BPF_MAX_POINTS are kept). */
static __always_inline void vd_append(struct vd_bpf_result *res, __u8 kind, __u8 allow, __u8 chain,
				      __u32 endpoint, __u32 rule)
{
	__u32 i = res->count;

	if (i < VD_BPF_MAX_POINTS) {
		res->points[i].kind = kind;
		res->points[i].allow = allow;
		res->points[i].chain = chain;
		res->points[i].endpoint = endpoint;
		res->points[i].rule = rule;
	}
	res->count = i + 1;
	if (!allow)
		res->allow = 0;
}

/* One policing point: chain `chain` (a position of vd_gen.chains) for `subject`
 * (Classifier.point). */
__noinline int vd_point(struct vd_path *p, __u32 chain, __u32 subject, struct vd_bpf_result *res)
{
	struct vd_bpf_generation *g;
	struct vd_bpf_chain *ch;
	struct vd_bpf_rule *r;
	__u32 rule = VD_NONE, key;
	__u8 allow = 0;

	if (!p || !res)
		return 0;
	g = bpf_map_lookup_elem(&vd_gen, &p->gen);
	if (g && chain < VD_CHAIN_COUNT) {
		ch = &g->chains[chain];
		p->keys.key[VD_DIM_SUBJECT] = subject;
		if (ch->icmp_keys && p->icmp_tc != VD_NONE)
			p->keys.key[VD_DIM_PROTO] = VD_ICMP_KEY_BASE + (p->v6 ? 65536 : 0) + p->icmp_tc;
		else
			p->keys.key[VD_DIM_PROTO] = p->protocol;
		rule = vd_decide(ch, &p->keys);
		if (rule != VD_NONE) {
			key = ch->rule_base + rule;
			r = bpf_map_lookup_elem(&vd_rules, &key);
			allow = r && r->action == VD_ACTION_ALLOW;
		}
	}
	vd_append(res, VD_POINT_CHAIN, allow, chain, subject, rule);
	return allow;
}

/* The uplink host endpoint of node `node`, or VD_NONE. */
static __always_inline __u32 vd_uplink(const struct vd_bpf_generation *g, __u32 node)
{
	struct vd_node *n;
	__u32 key;

	if (node == VD_NONE || node >= g->node_count)
		return VD_NONE;
	key = g->node_base + node;
	n = bpf_map_lookup_elem(&vd_nodes, &key);
	return n ? n->uplink : VD_NONE;
}

/* Kind and node of endpoint `e` into *kind / *node (-1 / VD_NONE when none). */
static __always_inline void vd_endpoint_info(const struct vd_bpf_generation *g, __u32 e, __s32 *kind, __u32 *node)
{
	struct vd_endpoint *ep;
	__u32 key;

	*kind = -1;
	*node = VD_NONE;
	if (e == VD_NONE || e >= g->endpoint_count)
		return;
	key = g->endpoint_base + e;
	ep = bpf_map_lookup_elem(&vd_eps, &key);
	if (!ep)
		return;
	*kind = ep->kind;
	*node = ep->node;
}

/* Every policing point of the packet's path in node mode (Classifier.classify). */
static __always_inline void vd_path_node(struct vd_path *p, const struct vd_bpf_generation *g,
					 struct vd_bpf_result *res)
{
	int same_node = p->src_node != VD_NONE && p->src_node == p->dst_node;
	__u32 up;

	if (p->src_kind == VD_EP_HOST && p->dst_kind == VD_EP_WORKLOAD && same_node) {
		vd_append(res, VD_POINT_HOST_TO_LOCAL, 1, 0, p->dst_ep, VD_NONE);
		return;
	}
	if (p->src_kind == VD_EP_WORKLOAD) {
		vd_point(p, VD_CH_WORKLOAD_OUT, p->src_ep, res);
		if (p->dst_kind == VD_EP_HOST && same_node) {
			vd_append(res, VD_POINT_ENDPOINT_TO_HOST, g->e2h_action != VD_E2H_DROP, 0, p->dst_ep, VD_NONE);
			return;
		}
		if (!same_node && p->src_node != VD_NONE) {
			up = vd_uplink(g, p->src_node);
			if (up != VD_NONE)
				vd_point(p, VD_CH_FORWARD_OUT, up, res);
		}
	} else if (p->src_kind == VD_EP_HOST) {
		vd_point(p, VD_CH_HOST_OUT, p->src_ep, res);
	}
	if (p->dst_kind == VD_EP_WORKLOAD) {
		if (!same_node && p->dst_node != VD_NONE) {
			up = vd_uplink(g, p->dst_node);
			if (up != VD_NONE)
				vd_point(p, VD_CH_FORWARD_IN, up, res);
		}
		vd_point(p, VD_CH_WORKLOAD_IN, p->dst_ep, res);
	} else if (p->dst_kind == VD_EP_HOST) {
		vd_point(p, VD_CH_HOST_IN, p->dst_ep, res);
	}
}

/* The one point of the enforced endpoint `e` (VD_MODE_ENDPOINT, as BPFImageModel defines it):
 * its own chain for the packet's direction relative to it. On a workload's veth (the program
 * sits on the host side) traffic entering the interface comes from the workload (its egress
 * chain) and traffic leaving it goes to the workload (its ingress chain); on a host endpoint's
 * interface entering traffic meets the host ingress chain and leaving traffic the host egress
 * chain. An endpoint the generation does not hold gets a denying point without a rule. */
static __always_inline void vd_path_endpoint(struct vd_path *p, const struct vd_bpf_generation *g, __u32 e,
					     __u32 hook, struct vd_bpf_result *res)
{
	__s32 kind;
	__u32 node;

	vd_endpoint_info(g, e, &kind, &node);
	if (kind == VD_EP_WORKLOAD)
		vd_point(p, hook == VD_HOOK_INGRESS ? VD_CH_WORKLOAD_OUT : VD_CH_WORKLOAD_IN, e, res);
	else if (kind == VD_EP_HOST)
		vd_point(p, hook == VD_HOOK_INGRESS ? VD_CH_HOST_IN : VD_CH_HOST_OUT, e, res);
	else
		vd_append(res, VD_POINT_CHAIN, 0, hook == VD_HOOK_INGRESS ? VD_CH_WORKLOAD_OUT : VD_CH_WORKLOAD_IN, e, VD_NONE);
}

/* Atom and owner of an address of the active generation: 0 on a miss. */
static __always_inline int vd_lookup_addr(const struct vd_hdr *h, const __u8 *addr, __u32 gen, struct vd_atom_ref *out)
{
	struct vd_atom_ref *ref;

	if (h->ip_version == 4) {
		struct vd_lpm4_key k4 = { .prefixlen = 64, .generation = bpf_htonl(gen) };

		__builtin_memcpy(k4.addr, addr, 4);
		ref = bpf_map_lookup_elem(&vd_ip4, &k4);
	} else {
		struct vd_lpm6_key k6 = { .prefixlen = 160, .generation = bpf_htonl(gen) };

		__builtin_memcpy(k6.addr, addr, 16);
		ref = bpf_map_lookup_elem(&vd_ip6, &k6);
	}
	if (!ref)
		return 0;
	*out = *ref;
	return 1;
}

/* The stateless policy verdict of a parsed packet into `res` (points, count, allow); 0 when
 * the active generation holds no table. */
static __noinline int vd_classify(const struct vd_hdr *h, __u32 hook, struct vd_bpf_result *res, __u32 *gen_out)
{
	struct vd_bpf_config *cfg;
	struct vd_bpf_generation *g;
	struct vd_atom_ref sa, da;
	struct vd_path p = {};
	__u32 zero = 0, e;

	cfg = bpf_map_lookup_elem(&vd_cfg, &zero);
	if (!cfg)
		return 0;
	p.gen = cfg->generation;
	if (p.gen >= VD_BPF_GENERATIONS)
		return 0;
	g = bpf_map_lookup_elem(&vd_gen, &p.gen);
	if (!g)
		return 0;
	*gen_out = p.gen;
	if (!vd_lookup_addr(h, h->src, p.gen, &sa) || !vd_lookup_addr(h, h->dst, p.gen, &da))
		return 0;

	p.keys.key[VD_DIM_SRC] = sa.atom;
	p.keys.key[VD_DIM_DST] = da.atom;
	if (vd_has_ports(h)) {
		p.keys.key[VD_DIM_SPORT] = h->sport;
		p.keys.key[VD_DIM_DPORT] = h->dport;
	} else {
		p.keys.key[VD_DIM_SPORT] = VD_NO_PORT;
		p.keys.key[VD_DIM_DPORT] = VD_NO_PORT;
	}
	p.icmp_tc = vd_is_icmp(h) && h->l4_present ? (__u32)h->icmp_type << 8 | h->icmp_code : VD_NONE;
	p.v6 = h->ip_version == 6;
	p.protocol = h->protocol;
	p.src_ep = sa.endpoint;
	p.dst_ep = da.endpoint;
	vd_endpoint_info(g, p.src_ep, &p.src_kind, &p.src_node);
	vd_endpoint_info(g, p.dst_ep, &p.dst_kind, &p.dst_node);

	res->allow = 1;
	res->count = 0;
	if (cfg->mode == VD_MODE_ENDPOINT) {
		e = cfg->endpoint[p.gen & 1];
		vd_path_endpoint(&p, g, e, hook, res);
	} else {
		vd_path_node(&p, g, res);
	}
	return 1;
}

/* The stage of a rule. vd_bpf_rule does not carry it yet, so every rule counts as a normal
 * (tracked) one; once vd_abi.h gives vd_bpf_rule a stage, return it here. */
static __always_inline __u32 vd_rule_stage(const struct vd_bpf_rule *r)
{
	return r->stage;
}

/* 1 when an untracked rule decided one of the points (StatefulClassifier.decidedUntracked). */
static __always_inline int vd_decided_untracked(const struct vd_bpf_result *res, __u32 gen)
{
	struct vd_bpf_generation *g = bpf_map_lookup_elem(&vd_gen, &gen);
	struct vd_bpf_rule *r;
	__u32 i, key;

	if (!g)
		return 0;
	for (i = 0; i < VD_BPF_MAX_POINTS; i++) {
		const struct vd_bpf_point *pt = &res->points[i];

		if (i >= res->count)
			break;
		if (pt->kind != VD_POINT_CHAIN || pt->rule == VD_NONE || pt->chain >= VD_CHAIN_COUNT)
			continue;
		key = g->chains[pt->chain].rule_base + pt->rule;
		r = bpf_map_lookup_elem(&vd_rules, &key);
		if (r && vd_rule_stage(r) == VD_STAGE_UNTRACKED)
			return 1;
	}
	return 0;
}

/* Counts one hit for the deciding rule of every chain point of `res` (Classifier.count). */
static __always_inline void vd_count_hits(const struct vd_bpf_result *res, __u32 gen)
{
	struct vd_bpf_generation *g = bpf_map_lookup_elem(&vd_gen, &gen);
	__u32 i, key;
	__u64 *hits;

	if (!g)
		return;
	for (i = 0; i < VD_BPF_MAX_POINTS; i++) {
		const struct vd_bpf_point *pt = &res->points[i];

		if (i >= res->count)
			break;
		if (pt->kind != VD_POINT_CHAIN || pt->rule == VD_NONE || pt->chain >= VD_CHAIN_COUNT)
			continue;
		key = g->chains[pt->chain].rule_base + pt->rule;
		hits = bpf_map_lookup_elem(&vd_hits, &key);
		if (hits)
			*hits += 1;
	}
}

#endif /* VD_CLASSIFY_H */
