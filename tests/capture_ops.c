/* The capture-checking backend (capture_ops.h): the recorder, the graph
 * calls and the memory calls. The ops (capture_ops_table.c, generated from
 * ops.h's rows) copy their arguments into a struct and hand it to
 * capture_issue, which runs it at once or, inside a capture, appends a copy
 * to the graph; replay plays the copies back. */
#include "cpu/cpu_backend.h"
#include "capture_ops.h"
#include "capture_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- backend memory: every block alloc handed out ---- */

typedef struct {
    const char *base;
    size_t bytes;
    unsigned long serial; /* which alloc: a block freed and handed out again is another */
} block;

static block *blocks;
static size_t n_blocks, cap_blocks;
static unsigned long next_serial;

static void remember_block(const void *p, size_t bytes)
{
    if (n_blocks == cap_blocks) {
        cap_blocks = cap_blocks ? 2 * cap_blocks : 64;
        blocks = realloc(blocks, sizeof *blocks * cap_blocks);
        if (!blocks) abort();
    }
    blocks[n_blocks++] = (block){p, bytes, ++next_serial};
}

static int find_block(const void *p)
{
    const char *c = p;
    for (size_t i = 0; i < n_blocks; i++) /* the end too: an empty range may start there */
        if (c >= blocks[i].base && c <= blocks[i].base + blocks[i].bytes) return (int)i;
    return -1;
}

/* A pointer a recorded op holds, and the block it pointed into then. */
typedef struct {
    const char *op;
    const void *p;
    unsigned long serial;
} held_ptr;

/* The pointers the op being recorded was checked with (capture_issue
 * moves them into its record). */
static held_ptr *pending;
static int n_pending, cap_pending;

static void hold(const char *op, const void *p, unsigned long serial)
{
    if (n_pending == cap_pending) {
        cap_pending = cap_pending ? 2 * cap_pending : 16;
        pending = realloc(pending, sizeof *pending * cap_pending);
        if (!pending) abort();
    }
    pending[n_pending++] = (held_ptr){op, p, serial};
}

static int capturing_now(void);

void capture_need_mem(const char *op, const void *p)
{
    if (!p) return;
    int i = find_block(p);
    if (i < 0) {
        fprintf(stderr, "capture_ops: %s was given %p, which is not backend memory (a GPU "
                        "kernel could not read it)\n", op, p);
        abort();
    }
    if (capturing_now()) hold(op, p, blocks[i].serial);
}

/* ---- the recorder ---- */

typedef struct {
    capture_play_fn play;
    void *args;     /* a copy, by value */
    held_ptr *ptrs; /* its pointers, checked again at every replay */
    int n_ptrs;
} record;

typedef struct {
    record *recs;
    long len, cap;
} graph;

static graph *capturing; /* the graph being recorded (NULL: none) */

static int capturing_now(void) { return capturing != NULL; }
static long last_graph_len, issued;

long capture_ops_last_graph_len(void) { return last_graph_len; }
long capture_ops_issued(void) { return issued; }
void capture_ops_reset_count(void)
{
    issued = 0;
    last_graph_len = 0;
}

/* What a stream capture does not allow (or would not record) aborts. */
static void not_in_capture(const char *what)
{
    if (!capturing) return;
    fprintf(stderr, "capture_ops: %s inside a capture: a graph records kernels only, so this "
                    "would run once at capture time, or fail, on a GPU\n", what);
    abort();
}

void capture_issue(capture_play_fn play, const void *args, size_t size)
{
    if (!capturing) {
        n_pending = 0;
        issued++;
        play(args);
        return;
    }
    graph *g = capturing;
    if (g->len == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->recs = realloc(g->recs, sizeof *g->recs * g->cap);
        if (!g->recs) abort();
    }
    void *copy = malloc(size);
    if (!copy) abort();
    memcpy(copy, args, size);
    held_ptr *ptrs = malloc(sizeof *ptrs * (n_pending ? n_pending : 1));
    if (!ptrs) abort();
    if (n_pending) memcpy(ptrs, pending, sizeof *ptrs * n_pending); /* (pending may be NULL) */
    g->recs[g->len++] = (record){play, copy, ptrs, n_pending};
    n_pending = 0;
}

void cap_capture_begin(void)
{
    not_in_capture("capture_begin");
    capturing = calloc(1, sizeof *capturing);
    if (!capturing) abort();
}

void *cap_capture_end(void)
{
    if (!capturing) {
        fputs("capture_ops: capture_end without capture_begin\n", stderr);
        abort();
    }
    graph *g = capturing;
    capturing = NULL;
    last_graph_len = g->len;
    return g;
}

/* A graph keeps addresses: memory freed since the capture (even if alloc
 * has handed the same address out again) is a use after free on a GPU. */
static void check_still_held(const record *r)
{
    for (int k = 0; k < r->n_ptrs; k++) {
        int i = find_block(r->ptrs[k].p);
        if (i < 0 || blocks[i].serial != r->ptrs[k].serial) {
            fprintf(stderr, "capture_ops: replay of a graph whose %s holds %p, memory freed "
                            "since the capture\n", r->ptrs[k].op, r->ptrs[k].p);
            abort();
        }
    }
}

void cap_replay(void *p)
{
    not_in_capture("replay");
    const graph *g = p;
    for (long i = 0; i < g->len; i++) check_still_held(&g->recs[i]);
    for (long i = 0; i < g->len; i++) {
        issued++;
        g->recs[i].play(g->recs[i].args);
    }
}

void cap_graph_free(void *p)
{
    not_in_capture("graph_free");
    graph *g = p;
    for (long i = 0; i < g->len; i++) {
        free(g->recs[i].args);
        free(g->recs[i].ptrs);
    }
    free(g->recs);
    free(g);
}

/* ---- memory and copies: never inside a capture ---- */

void *cap_alloc(size_t bytes, const char *what)
{
    not_in_capture("alloc");
    void *p = cpu_ops.alloc(bytes, what);
    remember_block(p, bytes);
    return p;
}

void cap_free(void *p)
{
    not_in_capture("free");
    if (!p) return;
    int i = find_block(p);
    if (i < 0 || blocks[i].base != p) {
        fprintf(stderr, "capture_ops: free of %p, which alloc did not hand out\n", p);
        abort();
    }
    blocks[i] = blocks[--n_blocks];
    cpu_ops.free(p);
}

void cap_upload(void *dst, const void *src, size_t bytes)
{
    not_in_capture("upload");
    capture_need_mem("upload", dst);
    cpu_ops.upload(dst, src, bytes);
}

void cap_download(void *dst, const void *src, size_t bytes)
{
    not_in_capture("download");
    capture_need_mem("download", src);
    cpu_ops.download(dst, src, bytes);
}

void cap_zero(void *p, size_t bytes)
{
    not_in_capture("zero");
    capture_need_mem("zero", p);
    cpu_ops.zero(p, bytes);
}

void cap_sync(void) { not_in_capture("sync"); }

double cap_time_ms(void (*body)(void *ctx), void *ctx)
{
    not_in_capture("time_ms");
    return cpu_ops.time_ms(body, ctx);
}
