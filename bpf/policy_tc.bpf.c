/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * policy_tc.bpf.c: the policy programs for TC clsact (direct action), one per direction:
 * parse → classify → conntrack → TC_ACT_OK or TC_ACT_SHOT. The pipeline is lib/verdict.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Set by the loader before load (never by the program): 1 takes conntrack's clock from
 * skb->tstamp when it is non-zero, so that BPF_PROG_TEST_RUN can replay a capture with its
 * own timestamps (ctx_in.tstamp); 0 (the default, and the only sane value on a live
 * interface) uses bpf_ktime_get_ns. */
const volatile __u32 vd_replay_clock = 0;

static __always_inline long vd_load_bytes(void *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, to, len);
}

#include "lib/verdict.h"

static __always_inline __u64 vd_now(struct __sk_buff *skb)
{
	if (vd_replay_clock && skb->tstamp)
		return skb->tstamp;
	return bpf_ktime_get_ns();
}

SEC("tc")
int vd_tc_ingress(struct __sk_buff *skb)
{
	return vd_tc_action(vd_judge(skb, skb->len, VD_HOOK_INGRESS, vd_now(skb)));
}

SEC("tc")
int vd_tc_egress(struct __sk_buff *skb)
{
	return vd_tc_action(vd_judge(skb, skb->len, VD_HOOK_EGRESS, vd_now(skb)));
}

char LICENSE[] SEC("license") = "GPL";
