#pragma once
/*
 * libbpf for Swift (BPFLoader). Only BPFLoader/Internals/Libbpf.swift calls into it.
 * Besides libbpf's own headers this brings in what the loader needs around it: XDP_FLAGS_*
 * (linux/if_link.h), TC_ACT_* (linux/pkt_cls.h), if_nametoindex (net/if.h), and setns, which
 * glibc declares only under _GNU_SOURCE and Swift's Glibc module therefore does not export
 * (entering a network namespace on one thread, for attaching inside it).
 */
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
extern int setns(int fd, int nstype);

/* The magic of a bpffs mount (linux/magic.h BPF_FS_MAGIC), to tell a pin directory's file system. */
#define VD_BPF_FS_MAGIC 0xcafe4a11
