/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vd_prefetch.h: a software prefetch for the Swift fast path, which has no spelling of its own
 * for one. The term index's batch lookup (Sources/Classifier/TermIndex.swift) names the next
 * level's cache lines for a whole group of packets before reading any of them, so that their
 * misses overlap instead of queueing one behind another.
 */
#ifndef VD_PREFETCH_H
#define VD_PREFETCH_H

static inline __attribute__((always_inline)) void vd_prefetch(const void *p)
{
	__builtin_prefetch(p, 0, 3);
}

#endif
