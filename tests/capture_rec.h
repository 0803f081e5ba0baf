/* Private to the capture-checking backend (capture_ops.c and
 * capture_ops_table.c): the recorder and the calls that are not ops. */
#ifndef CNN_CAPTURE_REC_H
#define CNN_CAPTURE_REC_H

#include <stddef.h>

/* Runs an op from a copy of its arguments. */
typedef void (*capture_play_fn)(const void *args);

/* Runs play(args) now, or, inside a capture, records a copy of the size
 * bytes of args to play on every replay. */
void capture_issue(capture_play_fn play, const void *args, size_t size);

/* Aborts, naming op, unless p is NULL or points into memory from alloc. */
void capture_need_mem(const char *op, const void *p);

void *cap_alloc(size_t bytes, const char *what);
void cap_free(void *p);
void cap_upload(void *dst, const void *src, size_t bytes);
void cap_download(void *dst, const void *src, size_t bytes);
void cap_zero(void *p, size_t bytes);
void cap_sync(void);
double cap_time_ms(void (*body)(void *ctx), void *ctx);
void cap_capture_begin(void);
void *cap_capture_end(void);
void cap_replay(void *graph);
void cap_graph_free(void *graph);

#endif
