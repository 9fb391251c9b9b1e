/* Linux calls the Glibc module does not export (they need _GNU_SOURCE). */
#ifndef BENCH_SHIMS_H
#define BENCH_SHIMS_H

/* Pins the calling process to the CPU it runs on; returns that CPU, or -1 with errno set. */
int bench_pin_to_current_cpu(void);

#endif
