#pragma once
/*
 * C helpers for BPFLoader, each only where Swift cannot do the job itself.
 */

/* A finished libbpf message: its level (enum libbpf_print_level) and its whole text. */
typedef void (*CBPFShims_sink)(int level, const char *message);

/*
 * Routes libbpf's messages to `sink`, each formatted in full; NULL silences libbpf.
 * Why a shim: libbpf passes a printf format and a va_list; Swift can consume a CVaListPointer
 * once, into a buffer of a size fixed in advance, and has neither va_copy nor vasprintf, while
 * the message that matters most, the verifier log, runs to megabytes. It can go once Swift can
 * format a va_list of unknown length.
 */
void CBPFShims_set_print(CBPFShims_sink sink);

/*
 * Swaps the two paths in one step (renameat2 with RENAME_EXCHANGE); 0, or -errno.
 * Why a shim: renameat2 and RENAME_EXCHANGE are _GNU_SOURCE declarations Swift's Glibc module
 * does not export.
 */
int CBPFShims_rename_exchange(const char *a, const char *b);
