/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * parse.h: L2–L4 headers of one frame into a struct vd_hdr, with the contract of
 * Sources/Packets/PacketParser.swift (same outcomes, same fields, same order of checks):
 *
 *   1. Ethernet II, then up to VD_MAX_VLAN_TAGS 802.1Q (0x8100), 802.1ad (0x88a8) or legacy
 *      QinQ (0x9100) tags; any other EtherType than IPv4/IPv6 is VD_PARSE_NOT_IP.
 *   2. IPv4 with options (IHL) and fragment fields; the datagram ends at its total length (0
 *      means "to the end of the frame"), so padding is never read as payload.
 *   3. IPv6 with up to VD_MAX_EXT_HDRS extension headers: hop-by-hop (0), routing (43),
 *      destination options (60), AH (51) and fragment (44) are skipped; anything else is the
 *      final protocol. A fragment header with a non-zero offset ends the walk.
 *   4. TCP, UDP, UDP-Lite, SCTP ports and TCP flags; ICMP/ICMPv6 type, code, query identifier
 *      and, for errors, the quoted packet's addresses, protocol, ports or identifier.
 *   Non-first fragments stop after the IP header (l4_present = 0).
 *
 * Reads go through vd_load_bytes(ctx, offset, to, len), which the program file defines before
 * including this header (bpf_xdp_load_bytes or bpf_skb_load_bytes). Every read is preceded by
 * an explicit check against the frame length or the datagram's own end, whichever is shorter,
 * exactly where PacketParser checks; the helper's own bounds check is only a second fence.
 */
#ifndef VD_PARSE_H
#define VD_PARSE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "consts.h"

/* The packet quoted by an ICMP error (EmbeddedHeaders). */
struct vd_embedded {
	__u8 src[16];        /* IPv4 in the first 4 bytes, network order */
	__u8 dst[16];
	__u16 sport;         /* host order */
	__u16 dport;
	__u16 echo_id;
	__u8 ip_version;
	__u8 protocol;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 non_first_fragment;
	__u8 l4_present;
};

/* PacketHeaders, the fields the policy programs use. Multi-byte integers in host order. */
struct vd_hdr {
	__u8 src[16];        /* IPv4 in the first 4 bytes, rest zero; network order */
	__u8 dst[16];
	struct vd_embedded emb;
	__u32 ip_id;
	__u16 sport;
	__u16 dport;
	__u16 echo_id;
	__u8 outcome;        /* enum vd_parse_outcome */
	__u8 ip_version;     /* 4 or 6 once an IP header was read */
	__u8 protocol;
	__u8 l4_present;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 is_fragment;
	__u8 is_first_fragment;
	__u8 has_embedded;
};

static __always_inline __u16 vd_be16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

static __always_inline __u32 vd_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static __always_inline int vd_ports_protocol(__u8 p)
{
	return p == 6 || p == 17 || p == 132 || p == 136;
}

static __always_inline int vd_icmp_error(__u8 version, __u8 p, __u8 t)
{
	if (version == 4 && p == 1)
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	if (version == 6 && p == 58)
		return t >= 1 && t <= 4;
	return 0;
}

static __always_inline int vd_icmp_query(__u8 version, __u8 p, __u8 t)
{
	if (version == 4 && p == 1)
		return t == 0 || t == 8 || (t >= 13 && t <= 18);
	if (version == 6 && p == 58)
		return t == 128 || t == 129;
	return 0;
}

static __always_inline int vd_is_icmp(const struct vd_hdr *h)
{
	return (h->ip_version == 4 && h->protocol == 1) || (h->ip_version == 6 && h->protocol == 58);
}

static __always_inline int vd_has_ports(const struct vd_hdr *h)
{
	return h->l4_present && vd_ports_protocol(h->protocol);
}

/* Where an IPv6 extension-header walk ended (PacketParser._IPv6Walk). */
struct vd_walk {
	__u32 offset;
	__u32 identification;
	__u16 fragment_offset;
	__u8 next;
	__u8 saw_fragment;
	__u8 more_fragments;
};

/* Skips extension headers from `p` up to `end`; VD_PARSE_OK or why not
 * (PacketParser._walkIPv6Extensions). */
static __always_inline int vd_walk_ipv6(void *ctx, __u32 p, __u32 end, __u8 next, struct vd_walk *w)
{
	__u8 b[8];
	int i;

	for (i = 0; i <= VD_MAX_EXT_HDRS; i++) {
		__u32 length;

		if (next == 0 || next == 43 || next == 60 || next == 51) {
			if (p > end || end - p < 8)
				return VD_PARSE_TRUNCATED_L3;
			if (vd_load_bytes(ctx, p, b, 8))
				return VD_PARSE_TRUNCATED_L3;
			/* AH counts its length in 4-byte units, minus 2; the others in 8-byte units,
			 * minus 1. */
			length = next == 51 ? ((__u32)b[1] + 2) * 4 : ((__u32)b[1] + 1) * 8;
			if (end - p < length)
				return VD_PARSE_TRUNCATED_L3;
			next = b[0];
			p += length;
		} else if (next == 44) {
			__u16 fo;

			if (p > end || end - p < 8)
				return VD_PARSE_TRUNCATED_L3;
			if (vd_load_bytes(ctx, p, b, 8))
				return VD_PARSE_TRUNCATED_L3;
			next = b[0];
			fo = vd_be16(b + 2);
			w->saw_fragment = 1;
			w->fragment_offset = fo >> 3;
			w->more_fragments = fo & 1;
			w->identification = vd_be32(b + 4);
			p += 8;
			if (w->fragment_offset != 0) {
				w->next = next;
				w->offset = p;
				return VD_PARSE_OK;
			}
		} else {
			w->next = next;
			w->offset = p;
			return VD_PARSE_OK;
		}
	}
	return VD_PARSE_TOO_MANY_EXT_HDRS;
}

/* The packet quoted by an ICMP error, from `start` to `end`; 1 when its IP header was complete
 * (PacketParser._parseEmbedded). */
static __always_inline int vd_parse_embedded(void *ctx, __u32 start, __u32 end, struct vd_embedded *e)
{
	__u8 b[40];
	__u32 q, a;
	__u8 version;

	if (start >= end)
		return 0;
	if (vd_load_bytes(ctx, start, b, 1))
		return 0;
	version = b[0] >> 4;
	if (version == 4) {
		__u32 ihl;

		if (end - start < 20)
			return 0;
		if (vd_load_bytes(ctx, start, b, 20))
			return 0;
		ihl = (__u32)(b[0] & 0x0f) * 4;
		if (ihl < 20 || end - start < ihl)
			return 0;
		e->ip_version = 4;
		e->protocol = b[9];
		__builtin_memcpy(e->src, b + 12, 4);
		__builtin_memcpy(e->dst, b + 16, 4);
		if (vd_be16(b + 6) & 0x1fff) {
			e->non_first_fragment = 1;
			return 1;
		}
		q = start + ihl;
	} else if (version == 6) {
		struct vd_walk w = {};

		if (end - start < 40)
			return 0;
		if (vd_load_bytes(ctx, start, b, 40))
			return 0;
		if (vd_walk_ipv6(ctx, start + 40, end, b[6], &w) != VD_PARSE_OK)
			return 0;
		e->ip_version = 6;
		e->protocol = w.next;
		__builtin_memcpy(e->src, b + 8, 16);
		__builtin_memcpy(e->dst, b + 24, 16);
		if (w.fragment_offset != 0) {
			e->non_first_fragment = 1;
			return 1;
		}
		q = w.offset;
	} else {
		return 0;
	}
	a = q <= end ? end - q : 0;
	if (vd_ports_protocol(e->protocol)) {
		if (a >= 4 && !vd_load_bytes(ctx, q, b, 4)) {
			e->sport = vd_be16(b);
			e->dport = vd_be16(b + 2);
			e->l4_present = 1;
		}
	} else if ((e->protocol == 1 && version == 4) || (e->protocol == 58 && version == 6)) {
		if (a >= 8 && !vd_load_bytes(ctx, q, b, 8)) {
			e->icmp_type = b[0];
			e->icmp_code = b[1];
			e->l4_present = 1;
			if (vd_icmp_query(version, e->protocol, b[0]))
				e->echo_id = vd_be16(b + 4);
		}
	} else {
		e->l4_present = 1;
	}
	return 1;
}

/* The transport header at `p`, up to `end` (PacketParser._parseL4). */
static __always_inline void vd_parse_l4(void *ctx, __u32 p, __u32 end, struct vd_hdr *h)
{
	__u8 b[20];
	__u32 avail = p <= end ? end - p : 0;

	switch (h->protocol) {
	case 6:
		if (avail < 20 || vd_load_bytes(ctx, p, b, 14))
			return;
		h->sport = vd_be16(b);
		h->dport = vd_be16(b + 2);
		h->tcp_flags = b[13];
		h->l4_present = 1;
		return;
	case 17:
	case 136:
		if (avail < 8 || vd_load_bytes(ctx, p, b, 4))
			return;
		h->sport = vd_be16(b);
		h->dport = vd_be16(b + 2);
		h->l4_present = 1;
		return;
	case 132:
		if (avail < 12 || vd_load_bytes(ctx, p, b, 4))
			return;
		h->sport = vd_be16(b);
		h->dport = vd_be16(b + 2);
		h->l4_present = 1;
		return;
	default:
		break;
	}
	if (vd_is_icmp(h)) {
		if (avail < 8 || vd_load_bytes(ctx, p, b, 8))
			return;
		h->icmp_type = b[0];
		h->icmp_code = b[1];
		h->l4_present = 1;
		if (vd_icmp_query(h->ip_version, h->protocol, b[0]))
			h->echo_id = vd_be16(b + 4);
		else if (vd_icmp_error(h->ip_version, h->protocol, b[0]))
			h->has_embedded = vd_parse_embedded(ctx, p + 8, end, &h->emb);
		return;
	}
	h->l4_present = 1;
}

static __always_inline int vd_parse_ipv4(void *ctx, __u32 off, __u32 n, struct vd_hdr *h)
{
	__u8 b[20];
	__u32 ihl, total, datagram_end, end;
	__u16 frag, fo;

	if (n - off < 20)
		return VD_PARSE_TRUNCATED_L3;
	if (vd_load_bytes(ctx, off, b, 20))
		return VD_PARSE_TRUNCATED_L3;
	if (b[0] >> 4 != 4)
		return VD_PARSE_BAD_IP_VERSION;
	ihl = (__u32)(b[0] & 0x0f) * 4;
	if (ihl < 20)
		return VD_PARSE_BAD_IHL;
	if (n - off < ihl)
		return VD_PARSE_TRUNCATED_L3;
	total = vd_be16(b + 2);
	if (total == 0) {
		datagram_end = n;
	} else {
		if (total < ihl)
			return VD_PARSE_BAD_TOTAL_LENGTH;
		datagram_end = off + total;
	}
	end = n < datagram_end ? n : datagram_end;
	frag = vd_be16(b + 6);
	fo = frag & 0x1fff;
	h->ip_version = 4;
	h->protocol = b[9];
	h->ip_id = vd_be16(b + 4);
	__builtin_memcpy(h->src, b + 12, 4);
	__builtin_memcpy(h->dst, b + 16, 4);
	h->is_fragment = fo != 0 || (frag & 0x2000);
	h->is_first_fragment = fo == 0 && (frag & 0x2000);
	if (fo == 0)
		vd_parse_l4(ctx, off + ihl, end, h);
	return VD_PARSE_OK;
}

static __always_inline int vd_parse_ipv6(void *ctx, __u32 off, __u32 n, struct vd_hdr *h)
{
	__u8 b[40];
	struct vd_walk w = {};
	__u32 payload, datagram_end, end;
	int r;

	if (n - off < 40)
		return VD_PARSE_TRUNCATED_L3;
	if (vd_load_bytes(ctx, off, b, 40))
		return VD_PARSE_TRUNCATED_L3;
	if (b[0] >> 4 != 6)
		return VD_PARSE_BAD_IP_VERSION;
	payload = vd_be16(b + 4);
	/* A payload length of 0 is a jumbogram (or a TSO frame): the datagram runs to the end. */
	datagram_end = payload == 0 ? n : off + 40 + payload;
	end = n < datagram_end ? n : datagram_end;
	r = vd_walk_ipv6(ctx, off + 40, end, b[6], &w);
	if (r != VD_PARSE_OK)
		return r;
	h->ip_version = 6;
	h->protocol = w.next;
	__builtin_memcpy(h->src, b + 8, 16);
	__builtin_memcpy(h->dst, b + 24, 16);
	if (w.saw_fragment) {
		h->ip_id = w.identification;
		h->is_fragment = w.fragment_offset != 0 || w.more_fragments;
		h->is_first_fragment = w.fragment_offset == 0 && w.more_fragments;
	}
	if (w.fragment_offset == 0)
		vd_parse_l4(ctx, w.offset, end, h);
	return VD_PARSE_OK;
}

/* Parses an Ethernet frame of `n` bytes into `h` (zeroed by the caller); returns h->outcome. */
static __noinline int vd_parse(void *ctx, __u32 n, struct vd_hdr *h)
{
	__u8 b[4];
	__u32 off = 14;
	__u16 ether_type;
	int i;

	if (n < 14 || vd_load_bytes(ctx, 12, b, 2)) {
		h->outcome = VD_PARSE_TRUNCATED_L2;
		return h->outcome;
	}
	ether_type = vd_be16(b);
	for (i = 0; i < VD_MAX_VLAN_TAGS; i++) {
		if (ether_type != VD_ETH_P_8021Q && ether_type != VD_ETH_P_8021AD && ether_type != VD_ETH_P_QINQ)
			break;
		if (n - off < 4 || vd_load_bytes(ctx, off, b, 4)) {
			h->outcome = VD_PARSE_TRUNCATED_L2;
			return h->outcome;
		}
		ether_type = vd_be16(b + 2);
		off += 4;
	}
	if (ether_type == VD_ETH_P_IP)
		h->outcome = vd_parse_ipv4(ctx, off, n, h);
	else if (ether_type == VD_ETH_P_IPV6)
		h->outcome = vd_parse_ipv6(ctx, off, n, h);
	else if (ether_type == VD_ETH_P_8021Q || ether_type == VD_ETH_P_8021AD || ether_type == VD_ETH_P_QINQ)
		h->outcome = VD_PARSE_TOO_MANY_VLANS;
	else
		h->outcome = VD_PARSE_NOT_IP;
	return h->outcome;
}

#endif /* VD_PARSE_H */
