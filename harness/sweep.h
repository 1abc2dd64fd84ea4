/* The parent side: run every cell of the sweep in a fresh child process. */
#ifndef SL_BENCH_SWEEP_H
#define SL_BENCH_SWEEP_H

#include "options.h"

/* Runs the sweep o describes and writes its CSV; 0 if every cell ran (failed cells are
 * recorded, not fatal), 1 if the CSV could not be written. */
int sl_bench_sweep(const sl_bench_opts_t *o, int argc, char **argv);

#endif
