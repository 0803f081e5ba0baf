/* A capture-checking backend, for tests only: the CPU's ops table with the
 * graph calls a CUDA graph has, checked as strictly as a graph is.
 *
 * Between capture_begin and capture_end every op call is recorded with its
 * arguments by value (pointers as addresses, scalars as values), not run;
 * replay runs the recording again, with those very values. So a value that
 * changes from step to step and is passed by value (an lr, a batch offset)
 * is frozen at the captured step's, as on a GPU, and a graph run ends with
 * other weights than an eager one.
 *
 * Inside a capture, any alloc, free, upload, download, zero, sync or
 * time_ms, a nested capture_begin or a replay aborts the process with a
 * line naming it (a GPU stream capture fails or silently misbehaves on
 * them). Every pointer an op takes (the arguments its row in ops.h marks
 * MEM), captured or not, must point into memory from this table's alloc,
 * or the process aborts: a graph on a GPU can read only device memory. A
 * replay aborts too when a pointer the graph holds points into memory
 * freed since the capture (allocated anew or not).
 *
 * The ops' recorders are generated from ops.h's rows (capture_ops_table.c),
 * so a new op needs nothing here. conv_fwd and conv_bwd (ops.h's
 * CNN_OPTIONAL_OPS) are NULL, so nets compose im2col, gemm, bias and
 * col2im as on the GPU: a captured step holds the ops a GPU step launches
 * (a cuBLAS gemm may itself launch more than one kernel). */
#ifndef CNN_CAPTURE_OPS_H
#define CNN_CAPTURE_OPS_H

#include "ops.h"

extern const cnn_ops capture_ops;

/* The ops recorded by the latest capture_end (0 before any, or since the
 * last reset). */
long capture_ops_last_graph_len(void);
/* Ops issued (run eagerly or replayed) since the start or the last reset;
 * allocations and copies are not ops. */
long capture_ops_issued(void);
void capture_ops_reset_count(void); /* zeroes both counts */

#endif
