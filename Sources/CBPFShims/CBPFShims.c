#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <bpf/libbpf.h>
#include "CBPFShims.h"

static CBPFShims_sink current_sink;

static int forward(enum libbpf_print_level level, const char *format, va_list args)
{
	char *text = NULL;
	int n = vasprintf(&text, format, args);

	if (n >= 0 && text) {
		CBPFShims_sink sink = __atomic_load_n(&current_sink, __ATOMIC_ACQUIRE);
		if (sink)
			sink((int)level, text);
		free(text);
	}
	return n;
}

void CBPFShims_set_print(CBPFShims_sink sink)
{
	__atomic_store_n(&current_sink, sink, __ATOMIC_RELEASE);
	libbpf_set_print(sink ? forward : NULL);
}

int CBPFShims_rename_exchange(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0 ? 0 : -errno;
}
