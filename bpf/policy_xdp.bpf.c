/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * policy_xdp.bpf.c: the policy program for XDP (traffic entering an interface, before the
 * stack): parse → classify → conntrack → XDP_PASS or XDP_DROP. The pipeline is lib/verdict.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* parse.h reads the frame through this (bpf_xdp_load_bytes also reads fragments of a
 * multi-buffer frame). */
static __always_inline long vd_load_bytes(void *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, off, to, len);
}

#include "lib/verdict.h"

SEC("xdp")
int vd_xdp(struct xdp_md *ctx)
{
	__u32 len = (__u32)bpf_xdp_get_buff_len(ctx);

	return vd_xdp_action(vd_judge(ctx, len, VD_HOOK_INGRESS, bpf_ktime_get_ns()));
}

char LICENSE[] SEC("license") = "GPL";
