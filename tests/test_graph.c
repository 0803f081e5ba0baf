/* Graph replay against eager launching, proven on the CPU: the capture-
 * checking backend (capture_ops.h) records a training step as a CUDA graph
 * would, by value, and aborts on anything a graph cannot hold. Every
 * scenario of graph_scenarios.c trains once launching every op and once
 * replaying a captured step (resumed where the scenario says), and the two
 * must end with the same bits in every parameter, momentum, second moment,
 * running statistic, step counter and loss.
 *
 * test_graph_broken.c shows what makes them fail: an lr passed by value
 * into the captured update, or a batch cursor passed by value into the
 * captured gather, turns the first scenario into a failing one. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "capture_ops.h"
#include "graph_scenarios.h"

/* The parameter is an index: Criterion copies parameters into a new
 * process image, where the scenarios' pointers would not hold. */
ParameterizedTestParameters(graph, scenario)
{
    static int index[64];
    cr_assert_leq(graph_scenario_count, 64);
    for (int i = 0; i < graph_scenario_count; i++) index[i] = i;
    return cr_make_param_array(int, index, (size_t)graph_scenario_count);
}

/* The ops an eager run of s issues (its state freed). */
static long eager_ops_of(const graph_scenario *s)
{
    run_state out;
    capture_ops_reset_count();
    scenario_run(&capture_ops, s, 0, &out);
    run_state_free(&out);
    return capture_ops_issued();
}

/* Besides the bits: the graph run issued as many ops as an eager one
 * stopped and resumed where it was (the replays are the eager steps' ops, no
 * more, no fewer; a stop inside an epoch adds a test evaluation to both),
 * and a step was captured wherever there was a full one. */
ParameterizedTest(int *which, graph, scenario)
{
    const graph_scenario *s = &graph_scenarios[*which];
    run_state eager, graph;
    graph_scenario whole = *s;
    whole.stop_after_step = 0;
    long whole_ops = eager_ops_of(&whole);
    long eager_ops = s->stop_after_step ? eager_ops_of(s) : whole_ops;

    capture_ops_reset_count();
    expect_graph_equals_eager(&capture_ops, s, &eager, &graph);
    /* (its uninterrupted eager run is counted too) */
    long graph_ops = capture_ops_issued() - whole_ops, recorded = capture_ops_last_graph_len();
    cr_assert_eq(graph_ops, eager_ops, "%s: the graph run issued %ld ops, the eager one %ld",
                 s->name, graph_ops, eager_ops);
    int has_full_step = s->train_count - s->val_count >= s->batch;
    if (has_full_step)
        cr_assert_gt(recorded, 0, "%s: no step was captured", s->name);
    else
        cr_assert_eq(recorded, 0, "%s: a partial step was captured", s->name);
    cr_log_info("%s (%s): %ld ops recorded per step", s->name, s->net, recorded);
    run_state_free(&eager);
    run_state_free(&graph);
}
