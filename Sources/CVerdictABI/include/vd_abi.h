/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/*
 * vd_abi.h: the layout of a compiled Verdict match table (a `.vdt` file).
 *
 * This is the one description of the table that Swift (MatchTable, Classifier, BPFLoader) and
 * the BPF programs in bpf/ share. Swift imports it through the CVerdictABI module; bpf/ adds
 * -I Sources/CVerdictABI/include. MatchTableTests checks sizes and offsets against Swift's view,
 * and the _Static_asserts below pin them for C. docs/MATCH_TABLE_FORMAT.md explains the format.
 *
 * Every multi-byte field is little-endian (the only byte order Verdict runs on; the loader
 * refuses a big-endian host). Offsets are in bytes from the start of the file, and every
 * section starts on a 64-byte boundary so that rows of bitmap words share cache lines cleanly.
 */
#ifndef VD_ABI_H
#define VD_ABI_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int32_t __s32;
#endif

/* "VDTABLE1" read as a little-endian u64. */
#define VD_TABLE_MAGIC 0x31454c4241544456ULL
/* Bump on any change to a struct below or to the meaning of a section. */
#define VD_TABLE_VERSION 2u
#define VD_SECTION_ALIGN 64u
#define VD_NONE 0xffffffffu

/* Classification dimensions. A chain keeps, per dimension, a map from the packet's key to a
 * class, and per class a row of bits, one per term: bit t is set when term t accepts the key. */
enum vd_dim {
	VD_DIM_SUBJECT = 0, /* endpoint index of the endpoint whose policy is evaluated */
	VD_DIM_SRC = 1,     /* address atom of the source IP */
	VD_DIM_DST = 2,     /* address atom of the destination IP */
	VD_DIM_PROTO = 3,   /* protocol, or 256 + family * 65536 + (type << 8 | code) for ICMP */
	VD_DIM_SPORT = 4,   /* source port, or 65536 when the packet has no ports */
	VD_DIM_DPORT = 5,   /* destination port, or 65536 when the packet has no ports */
	VD_DIM_COUNT = 6,
};

#define VD_PORT_KEYS 65537u      /* 0..65535, plus VD_NO_PORT */
#define VD_NO_PORT 65536u
#define VD_PROTO_KEYS_PLAIN 256u
#define VD_PROTO_KEYS_ICMP 131328u /* 256 + 2 * 65536 (a literal, so Swift imports it) */
#define VD_ICMP_KEY_BASE 256u

/* Section kinds. A section is one array; per-chain sections carry their chain index. */
enum vd_section_kind {
	VD_SEC_STRINGS = 1,      /* __u8[]: NUL-terminated UTF-8 strings, referenced by offset */
	VD_SEC_V4_BUCKETS = 2,   /* __u32[65537]: number of v4 atom bounds below (hi16 << 16) */
	VD_SEC_V4_BOUNDS = 3,    /* __u32[]: sorted first addresses of v4 atoms; [0] == 0 */
	VD_SEC_V6_BUCKETS = 4,   /* __u32[65537]: same, on the top 16 bits of a v6 address */
	VD_SEC_V6_BOUNDS = 5,    /* struct vd_ip6[]: sorted first addresses of v6 atoms */
	VD_SEC_ATOMS = 6,        /* struct vd_atom[]: v4 atoms, then v6 atoms */
	VD_SEC_ENDPOINTS = 7,    /* struct vd_endpoint[] */
	VD_SEC_NODES = 8,        /* struct vd_node[] */
	VD_SEC_CHAINS = 9,       /* struct vd_chain[] */
	VD_SEC_RULES = 10,       /* per chain: struct vd_rule[] */
	VD_SEC_TERM_RULE = 11,   /* per chain: __u32[term_count]: the rule each term belongs to */
	VD_SEC_MAP = 12,         /* per chain and dim: key -> class; __u16 for proto/ports, __u32 otherwise */
	VD_SEC_ROWS = 13,        /* per chain and dim: __u64[class_count * words] */
	VD_SEC_TERM_SPANS = 14,  /* per chain and dim: struct vd_span[term_count]: the term's ranges */
	VD_SEC_TERM_RANGES = 15, /* per chain and dim: struct vd_key_range[]: keys each term accepts */
};

struct vd_table_header {
	__u64 magic;
	__u32 version;
	__u32 header_size;    /* sizeof(struct vd_table_header) */
	__u64 total_size;     /* bytes in the file */
	__u64 checksum;       /* FNV-1a 64 of bytes [header_size, total_size) */
	__u32 section_count;  /* struct vd_section entries right after the header */
	__u32 endpoint_count;
	__u32 node_count;
	__u32 chain_count;
	__u32 atom_count_v4;
	__u32 atom_count_v6;
	__u32 flags;          /* VD_TABLE_F_* */
	__u32 reserved;
};

/* Felix DefaultEndpointToHostAction, in the header flags (bits 0-1). */
#define VD_TABLE_F_E2H_MASK 0x3u
#define VD_E2H_DROP 0u
#define VD_E2H_ACCEPT 1u
#define VD_E2H_RETURN 2u
/* The table has no bit-vector sections (MAP, ROWS; every class_count is 0): a chain holds more
 * terms than the compiler's bit-vector limit, and engines index the TERM_* sections instead.
 * The BPF data plane needs the bit vectors and refuses such a table. */
#define VD_TABLE_F_NO_ROWS 0x4u

struct vd_section {
	__u16 kind;       /* enum vd_section_kind */
	__u16 chain;      /* chain index, or 0xffff for a table-wide section */
	__u16 dim;        /* enum vd_dim for MAP and ROWS, else 0xffff */
	__u16 elem_size;  /* bytes per element */
	__u32 reserved;
	__u32 count;      /* elements */
	__u64 offset;     /* from the start of the file, VD_SECTION_ALIGN-aligned */
};

struct vd_ip6 {
	__u64 hi; /* first 8 bytes of the address, as a big-endian number */
	__u64 lo;
};

/* A term's keys in one dimension: ranges[first .. first + count) of the chain-dim's TERM_RANGES,
 * sorted, disjoint and not adjacent. count 0: the term can never match. Dimensions in which
 * every term accepts every key are trivial (vd_chain.trivial_dims) and have no TERM_* sections. */
struct vd_span {
	__u32 first;
	__u32 count;
};

struct vd_key_range {
	__u32 lo; /* first key */
	__u32 hi; /* one past the last key */
};

struct vd_atom {
	__u32 endpoint; /* first endpoint owning every address of the atom, or VD_NONE */
};

enum vd_endpoint_kind {
	VD_EP_WORKLOAD = 0,
	VD_EP_HOST = 1,
};

struct vd_endpoint {
	__u32 name;     /* string: "ns/name" or the host endpoint name */
	__u32 kind_name;/* string: Pod, WorkloadEndpoint, HostEndpoint, Deployment, ... */
	__u32 node;     /* node index, or VD_NONE */
	__u8 kind;      /* enum vd_endpoint_kind */
	__u8 pad[3];
};

struct vd_node {
	__u32 name;     /* string */
	__u32 uplink;   /* endpoint index of the node's uplink host endpoint, or VD_NONE */
};

/* What a chain is evaluated for (SEMANTICS §2.5, §2.7, §2.8). */
enum vd_chain_kind {
	VD_CHAIN_WORKLOAD = 0,     /* a workload's own policy: tiers, profiles, Deny */
	VD_CHAIN_HOST = 1,         /* traffic to or from a host: failsafes, untracked, pre-DNAT, tiers, profiles, Deny */
	VD_CHAIN_HOST_FORWARD = 2, /* traffic forwarded through a host endpoint: untracked, pre-DNAT, applyOnForward, Allow */
};

enum vd_direction {
	VD_DIR_INGRESS = 0,
	VD_DIR_EGRESS = 1,
};

struct vd_chain {
	__u8 kind;          /* enum vd_chain_kind */
	__u8 direction;     /* enum vd_direction */
	__u8 trivial_dims;  /* bit d set: every key of dim d accepts every term; no MAP/ROWS sections */
	__u8 icmp_keys;     /* 1: the proto map has VD_PROTO_KEYS_ICMP entries, else VD_PROTO_KEYS_PLAIN */
	__u32 term_count;
	__u32 rule_count;
	__u32 words;        /* (term_count + 63) / 64: __u64 words per row */
	__u32 class_count[VD_DIM_COUNT];
};

enum vd_action {
	VD_ACTION_ALLOW = 0,
	VD_ACTION_DENY = 1,
	VD_ACTION_PASS = 2,  /* continue at the rule's pass_target term */
};

/* Where a rule comes from; pseudo-rules stand for the defaults of SEMANTICS §2.5-§2.7. */
enum vd_origin {
	VD_ORIGIN_POLICY = 0,       /* rule `index` of `policy` in `tier` */
	VD_ORIGIN_END_OF_TIER = 1,  /* no rule of the tier's applicable policies matched */
	VD_ORIGIN_PROFILE = 2,      /* rule `index` of profile `policy` */
	VD_ORIGIN_NO_PROFILE = 3,   /* nothing matched: Deny */
	VD_ORIGIN_FAILSAFE = 4,     /* a Felix failsafe port (protocol, port) */
	VD_ORIGIN_FORWARD_DEFAULT = 5, /* forwarded traffic no applyOnForward policy decided: Allow */
};

enum vd_stage {
	VD_STAGE_NORMAL = 0,
	VD_STAGE_UNTRACKED = 1,
	VD_STAGE_PRE_DNAT = 2,
};

#define VD_RULE_F_HTTP 0x1u /* the rule has an HTTP match, which L3/L4 does not evaluate */

struct vd_rule {
	__u8 action;       /* enum vd_action */
	__u8 origin;       /* enum vd_origin */
	__u8 stage;        /* enum vd_stage */
	__u8 flags;        /* VD_RULE_F_* */
	__u32 pass_target; /* first term after this rule's tier or profile, for VD_ACTION_PASS */
	__u32 tier;        /* string, or VD_NONE */
	__u32 policy;      /* string: qualified policy or profile name, or VD_NONE */
	__u32 policy_kind; /* string: NetworkPolicy, GlobalNetworkPolicy, ..., or VD_NONE */
	__s32 index;       /* rule index in the policy's ingress/egress list, or -1 */
	__u16 port;        /* failsafe port */
	__u8 protocol;     /* failsafe protocol */
	__u8 pad;
	__u32 first_term;  /* the rule's terms are [first_term, first_term + term_count) */
	__u32 term_count;
};


/* ---------------------------------------------------------------------------------------------
 * BPF maps (issue 5). The loader (BPFLoader.MapBackedTableSink) copies a table into these maps;
 * bpf/lib/maps.h declares them with these key and value types. Every table-derived map holds two
 * generations: the loader fills the inactive one, then flips vd_cfg.generation with one 4-byte
 * write, so a packet sees either the old table or the new one, never a mixture.
 * ------------------------------------------------------------------------------------------- */

#define VD_BPF_GENERATIONS 2u
#define VD_BPF_MAX_POINTS 4u

/* vd_cfg, ARRAY[1]. */
struct vd_bpf_config {
	__u32 generation;   /* 0 or 1: the generation packets use */
	__u32 mode;         /* enum vd_bpf_mode */
	__u32 endpoint[2];  /* per generation: the endpoint enforced in VD_MODE_ENDPOINT */
};

enum vd_bpf_mode {
	VD_MODE_NODE = 0,     /* judge every packet by its source's egress and destination's ingress */
	VD_MODE_ENDPOINT = 1, /* enforce one endpoint's policy (ingress on TC egress of its veth, ...) */
};

/* One chain of one generation: where its data starts in the flat arrays below. */
struct vd_bpf_chain {
	__u32 term_count;
	__u32 words;
	__u32 icmp_keys;
	__u32 trivial_dims;
	__u32 map_base[VD_DIM_COUNT];  /* index into vd_class of key 0 of each dim */
	__u32 row_base[VD_DIM_COUNT];  /* index into vd_rows of class 0, word 0 of each dim */
	__u32 term_base;               /* index into vd_term_rule of term 0 */
	__u32 rule_base;               /* index into vd_rules / vd_hits of rule 0 */
};

/* vd_gen, ARRAY[2]: one per generation. */
struct vd_bpf_generation {
	__u32 e2h_action;     /* VD_E2H_* */
	__u32 endpoint_count;
	__u32 node_count;
	__u32 endpoint_base;  /* index into vd_eps of endpoint 0 */
	__u32 node_base;      /* index into vd_nodes of node 0 */
	__u32 pad;
	struct vd_bpf_chain chains[6];
};

/* vd_ip4, LPM_TRIE: prefixlen = 32 + address prefix length; the generation is the first word. */
struct vd_lpm4_key {
	__u32 prefixlen;
	__u32 generation;   /* big-endian, so that it is the leading 32 bits of the key */
	__u8 addr[4];       /* network order */
};

/* vd_ip6, LPM_TRIE: prefixlen = 32 + address prefix length. */
struct vd_lpm6_key {
	__u32 prefixlen;
	__u32 generation;   /* big-endian */
	__u8 addr[16];      /* network order */
};

/* Value of vd_ip4 and vd_ip6: the atom an address falls in (each atom is covered by the CIDRs
 * that decompose its interval) and the endpoint that owns it. */
struct vd_atom_ref {
	__u32 atom;
	__u32 endpoint;     /* VD_NONE when no endpoint owns it */
};

/* vd_rules, ARRAY: what the program needs of a rule; names stay in userspace. */
struct vd_bpf_rule {
	__u8 action;        /* enum vd_action */
	__u8 stage;         /* enum vd_stage: an untracked rule's packets create no conntrack entry */
	__u8 pad[2];
	__u32 pass_target;  /* term index, relative to the chain */
};

/* vd_last, PERCPU_ARRAY[1]: the last packet's decisions, read back after BPF_PROG_TEST_RUN so
 * that the kernel's answer can be compared with Swift's point by point. */
struct vd_bpf_point {
	__u8 kind;          /* PointDecision.Kind: 0 chain, 1 host-to-local-workload, 2 endpoint-to-host */
	__u8 allow;
	__u8 chain;
	__u8 pad;
	__u32 endpoint;
	__u32 rule;         /* relative to the chain, or VD_NONE */
};

struct vd_bpf_result {
	__u32 allow;
	__u32 count;
	__u32 conntrack;    /* 0 new, 1 established, 2 related, 3 invalid, 4 unparsed */
	__u32 pad;
	struct vd_bpf_point points[VD_BPF_MAX_POINTS];
};

/* vd_ct, LRU_HASH: one entry per allowed flow, keyed in its canonical direction. */
struct vd_ct_key {
	__u8 src[16];       /* IPv4 in the first 4 bytes, rest zero */
	__u8 dst[16];
	__u16 sport;        /* network order; ICMP echo: the identifier in both */
	__u16 dport;
	__u8 protocol;
	__u8 family;        /* 4 or 6 */
	__u8 pad[2];
};

struct vd_ct_value {
	__u64 last_seen_ns;
	__u32 originator_is_src; /* 1 when the flow's first packet went from key.src to key.dst */
	__u32 flags;
};

#ifndef __cplusplus
_Static_assert(sizeof(struct vd_table_header) == 64, "vd_table_header layout");
_Static_assert(sizeof(struct vd_section) == 24, "vd_section layout");
_Static_assert(sizeof(struct vd_span) == 8, "vd_span layout");
_Static_assert(sizeof(struct vd_key_range) == 8, "vd_key_range layout");
_Static_assert(sizeof(struct vd_ip6) == 16, "vd_ip6 layout");
_Static_assert(sizeof(struct vd_atom) == 4, "vd_atom layout");
_Static_assert(sizeof(struct vd_endpoint) == 16, "vd_endpoint layout");
_Static_assert(sizeof(struct vd_node) == 8, "vd_node layout");
_Static_assert(sizeof(struct vd_chain) == 40, "vd_chain layout");
_Static_assert(sizeof(struct vd_rule) == 36, "vd_rule layout");
_Static_assert(sizeof(struct vd_bpf_config) == 16, "vd_bpf_config layout");
_Static_assert(sizeof(struct vd_bpf_chain) == 72, "vd_bpf_chain layout");
_Static_assert(sizeof(struct vd_bpf_generation) == 24 + 6 * 72, "vd_bpf_generation layout");
_Static_assert(sizeof(struct vd_lpm4_key) == 12, "vd_lpm4_key layout");
_Static_assert(sizeof(struct vd_lpm6_key) == 24, "vd_lpm6_key layout");
_Static_assert(sizeof(struct vd_atom_ref) == 8, "vd_atom_ref layout");
_Static_assert(sizeof(struct vd_bpf_rule) == 8, "vd_bpf_rule layout");
_Static_assert(sizeof(struct vd_bpf_point) == 12, "vd_bpf_point layout");
_Static_assert(sizeof(struct vd_bpf_result) == 16 + 4 * 12, "vd_bpf_result layout");
_Static_assert(sizeof(struct vd_ct_key) == 40, "vd_ct_key layout");
_Static_assert(sizeof(struct vd_ct_value) == 16, "vd_ct_value layout");
#endif

#endif /* VD_ABI_H */
