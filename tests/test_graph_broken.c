/* The capture-checking backend catches what a CUDA graph would get wrong.
 * Two deliberately broken backends, each passing by value what the real
 * ops read from memory, make test_graph.c's scenarios fail; and whatever a
 * capture cannot hold (an allocation, a copy, a sync, a host pointer)
 * aborts the run. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <signal.h>
#include <string.h>

#include "cpu/cpu_backend.h"
#include "capture_ops.h"
#include "capture_rec.h"
#include "graph_scenarios.h"

/* The first scenario (the lr halved each epoch), on ops: 0 when graph and
 * eager agree. */
static int graph_equals_eager(const cnn_ops *ops, char *why, size_t len)
{
    run_state eager, graph;
    scenario_run(ops, &graph_scenarios[0], 0, &eager);
    scenario_run(ops, &graph_scenarios[0], 1, &graph);
    int rc = run_states_identical(&graph, &eager, why, len);
    run_state_free(&eager);
    run_state_free(&graph);
    return rc;
}

/* ---- broken: the update takes the lr by value, read when issued ---- */

typedef struct {
    cnn_optim o;
    float *w, *m, *v;
    const float *g;
    const unsigned char *mask;
    long n;
    float lr; /* the value, where the real op keeps the address */
    const unsigned long long *step;
} optim_by_value_args;

static void optim_by_value_play(const void *p)
{
    const optim_by_value_args *r = p;
    cpu_ops.optim(r->o, r->w, r->g, r->m, r->v, r->mask, r->n, &r->lr, r->step);
}

static void optim_lr_by_value(cnn_optim o, float *w, const float *g, float *m, float *v,
                              const unsigned char *mask, long n, const float *lr,
                              const unsigned long long *step)
{
    /* the rate set_lr wrote is read now; inside a capture, set_lr has not
     * run yet (it is recorded too) and the value is the previous step's */
    optim_by_value_args rec = {o, w, m, v, g, mask, n, *lr, step};
    capture_issue(optim_by_value_play, &rec, sizeof rec);
}

Test(graph_broken, lr_by_value_makes_the_scenario_fail)
{
    char why[256];
    cr_assert_eq(graph_equals_eager(&capture_ops, why, sizeof why), 0, "%s", why);
    cnn_ops broken = capture_ops;
    broken.optim = optim_lr_by_value;
    cr_assert_neq(graph_equals_eager(&broken, why, sizeof why), 0,
                  "an lr frozen into the captured step went unnoticed");
    cr_log_info("lr by value: %s", why);
}

/* ---- broken: the gather takes the batch's offset by value ---- */

typedef struct {
    const unsigned char *images, *labels;
    const int *index;
    int at; /* the cursor's value, where the real op keeps its address */
    int n, channels, plane;
    const float *norm;
    float *x;
    int *y;
} gather_by_value_args;

static void gather_by_value_play(const void *p)
{
    const gather_by_value_args *r = p;
    cpu_ops.gather(r->images, r->labels, r->index, &r->at, r->n, r->channels, r->plane, r->norm,
                   r->x, r->y);
}

static void gather_cursor_by_value(const unsigned char *images, const unsigned char *labels,
                                   const int *index, const int *cursor, int n, int channels,
                                   int plane, const float *norm, float *x, int *y)
{
    gather_by_value_args rec = {images, labels, index, *cursor, n, channels, plane, norm, x, y};
    capture_issue(gather_by_value_play, &rec, sizeof rec);
}

Test(graph_broken, cursor_by_value_makes_the_scenario_fail)
{
    cnn_ops broken = capture_ops;
    broken.gather = gather_cursor_by_value;
    char why[256];
    cr_assert_neq(graph_equals_eager(&broken, why, sizeof why), 0,
                  "a batch offset frozen into the captured step went unnoticed");
    cr_log_info("cursor by value: %s", why);
}

/* ---- the recorder itself ---- */

/* Nothing runs while recording; every replay runs the recording again. */
Test(graph_broken, replay_reissues_the_recording)
{
    const cnn_ops *ops = &capture_ops;
    int *cursor = ops->alloc(sizeof(int), "cursor"), at;
    ops->zero(cursor, sizeof(int));
    ops->capture_begin();
    ops->advance(cursor, 5);
    ops->advance(cursor, 2);
    void *g = ops->capture_end();
    ops->download(&at, cursor, sizeof at);
    cr_assert_eq(at, 0, "a captured op ran at capture time");
    cr_assert_eq(capture_ops_last_graph_len(), 2);
    for (int k = 0; k < 3; k++) ops->replay(g);
    ops->download(&at, cursor, sizeof at);
    cr_assert_eq(at, 21);
    ops->graph_free(g);
    ops->free(cursor);
}

static float *buffer;
static void capture_around(void (*body)(const cnn_ops *ops))
{
    const cnn_ops *ops = &capture_ops;
    buffer = ops->alloc(64, "buffer");
    ops->capture_begin();
    body(ops);
    ops->capture_end();
}

static void do_alloc(const cnn_ops *ops) { ops->alloc(16, "inside"); }
static void do_free(const cnn_ops *ops) { ops->free(buffer); }
static void do_zero(const cnn_ops *ops) { ops->zero(buffer, 64); }
static void do_sync(const cnn_ops *ops) { ops->sync(); }
static void do_upload(const cnn_ops *ops)
{
    float one = 1;
    ops->upload(buffer, &one, sizeof one);
}
static void do_download(const cnn_ops *ops)
{
    float one;
    ops->download(&one, buffer, sizeof one);
}
static void do_nested(const cnn_ops *ops) { ops->capture_begin(); }

/* (each aborting test's line goes to a redirected stderr, not the log) */
Test(graph_broken, alloc_inside_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_alloc);
}
Test(graph_broken, free_inside_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_free);
}
Test(graph_broken, zero_inside_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_zero);
}
Test(graph_broken, sync_inside_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_sync);
}
Test(graph_broken, upload_inside_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_upload);
}
Test(graph_broken, download_inside_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_download);
}
Test(graph_broken, nested_capture_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    capture_around(do_nested);
}

/* A buffer a graph holds, freed after the capture and allocated anew
 * (here most likely at the same address): replaying it would be a use
 * after free on a GPU, so the replay aborts before running anything. */
Test(graph_broken, replay_after_freeing_a_held_buffer_aborts, .signal = SIGABRT,
     .init = cr_redirect_stderr)
{
    const cnn_ops *ops = &capture_ops;
    int *cursor = ops->alloc(sizeof(int), "cursor");
    ops->zero(cursor, sizeof(int));
    ops->capture_begin();
    ops->advance(cursor, 5);
    void *g = ops->capture_end();
    ops->replay(g); /* still held: runs */
    ops->free(cursor);
    cursor = ops->alloc(sizeof(int), "cursor again");
    ops->zero(cursor, sizeof(int));
    ops->replay(g);
}

/* A host pointer given to an op: a GPU kernel could not read it. */
Test(graph_broken, host_pointer_to_an_op_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    static float host_lr = 0.1f;
    const cnn_ops *ops = &capture_ops;
    float *w = ops->alloc(sizeof(float) * 4, "w"), *g = ops->alloc(sizeof(float) * 4, "g");
    float *m = ops->alloc(sizeof(float) * 4, "m");
    unsigned long long *step = ops->alloc(sizeof *step, "step");
    cnn_optim o = {CNN_OPTIM_SGD, 0.9f, 0.9f, 0.999f, 1e-8f, 0};
    ops->optim(o, w, g, m, NULL, NULL, 4, &host_lr, step);
}

/* The eager path checks too, and a clean capture passes. */
Test(graph_broken, backend_pointers_pass)
{
    const cnn_ops *ops = &capture_ops;
    float *w = ops->alloc(sizeof(float) * 4, "w"), *lr = ops->alloc(sizeof(float), "lr");
    unsigned long long *step = ops->alloc(sizeof *step, "step");
    ops->zero(step, sizeof *step);
    cnn_schedule s = {CNN_SCHED_STEP, 0.1f, 0.5f, 0, 10, 100, 0};
    ops->set_lr(s, step, lr);
    ops->capture_begin();
    ops->relu_fwd(w, w + 2, 2); /* an address inside a block is backend memory too */
    ops->set_lr(s, step, lr);
    ops->graph_free(ops->capture_end());
}
