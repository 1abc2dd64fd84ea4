/* One measurement cell, run in its own process: the child side of the sweep. */
#ifndef SL_BENCH_CELL_H
#define SL_BENCH_CELL_H

#include "options.h"

/* Runs the single cell o describes and writes `key=value` result lines to
 * o->result_fd, ending with `end=1`. Returns the exit status for the process. */
int sl_bench_cell_main(const sl_bench_opts_t *o);

#endif
