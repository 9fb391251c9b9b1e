/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * maps.h: every map the policy programs use, and nothing else. Key and value types come from
 * vd_abi.h, which Swift imports too; vd_abi.h's comments say what each map holds. Names start
 * with vd_ and stay distinct within 15 characters (BPF_OBJ_NAME_LEN). max_entries here are
 * placeholders: the loader sizes every map for its table with bpf_map__set_max_entries before
 * load. Every table-derived map holds two generations (vd_cfg.generation picks one).
 */
#ifndef VD_MAPS_H
#define VD_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "vd_abi.h"
#include "consts.h"

/* The active generation, the mode and the enforced endpoint: one struct vd_bpf_config. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vd_bpf_config);
} vd_cfg SEC(".maps");

/* Per generation: counts, E2H action and where each chain's data starts in the arrays below. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_BPF_GENERATIONS);
	__type(key, __u32);
	__type(value, struct vd_bpf_generation);
} vd_gen SEC(".maps");

/* IPv4 address → (atom, owning endpoint); the generation is the key's leading 32 bits. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VD_DEFAULT_LPM_ENTRIES);
	__type(key, struct vd_lpm4_key);
	__type(value, struct vd_atom_ref);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} vd_ip4 SEC(".maps");

/* IPv6 address → (atom, owning endpoint). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VD_DEFAULT_LPM_ENTRIES);
	__type(key, struct vd_lpm6_key);
	__type(value, struct vd_atom_ref);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} vd_ip6 SEC(".maps");

/* Endpoints: vd_gen.endpoint_base + endpoint index. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, struct vd_endpoint);
} vd_eps SEC(".maps");

/* Nodes: vd_gen.node_base + node index. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, struct vd_node);
} vd_nodes SEC(".maps");

/* Key → class of every non-trivial dimension: chain.map_base[dim] + key. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} vd_class SEC(".maps");

/* Rows of bits: chain.row_base[dim] + class * chain.words + word. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} vd_rows SEC(".maps");

/* Term → rule, relative to the chain: chain.term_base + term. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} vd_term_rule SEC(".maps");

/* Action and Pass target of each rule: chain.rule_base + rule. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, struct vd_bpf_rule);
} vd_rules SEC(".maps");

/* Hits per rule, per CPU: chain.rule_base + rule (the generation's own rule range). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VD_DEFAULT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} vd_hits SEC(".maps");

/* The last packet's decisions on this CPU, for BPF_PROG_TEST_RUN comparisons. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vd_bpf_result);
} vd_last SEC(".maps");

/* Connection tracking: flows keyed in their canonical direction, and first-fragment verdicts
 * (consts.h, VD_CT_FAMILY_FRAGMENT). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VD_DEFAULT_CT_ENTRIES);
	__type(key, struct vd_ct_key);
	__type(value, struct vd_ct_value);
} vd_ct SEC(".maps");

#endif /* VD_MAPS_H */
