/* Graph replay against eager launching, proven on the CPU: the capture-
 * checking backend (capture_ops.h) records a training step as a CUDA graph
 * would, by value, and aborts on anything a graph cannot hold. Every
 * scenario trains once replaying a captured step and once issuing every op,
 * and the two must end with the same bits in every parameter, momentum,
 * second moment, running statistic, step counter and loss.
 *
 * What would make them fail is shown at the end of this file: an lr passed
 * by value into the captured update, and a batch cursor passed by value into
 * the captured gather, each turn a passing scenario into a failing one. */
#include <criterion/criterion.h>
#include <string.h>

#include "capture_ops.h"
#include "capture_rec.h"
#include "graph_scenarios.h"

#define SEED_CNN "conv4k5p2,relu,avgpool2,conv8k5p2,relu,avgpool2,fc10,softmax"

/* The lr halved every epoch, momentum 0.9. */
static void halve_each_epoch(train_config *c)
{
    c->lr_step = 1;
    c->lr_gamma = 0.5f;
    c->momentum = 0.9f;
}

/* 1,030 samples at batch 50: 20 full steps and a last one of 30 an epoch,
 * three epochs. */
static graph_scenario three_epochs(const char *net, void (*tweak)(train_config *c))
{
    return (graph_scenario){net, 1030, 50, 3, 0, 0, tweak ? tweak : halve_each_epoch};
}

/* Runs s eagerly and with a captured step on ops; they must agree to the
 * bit and issue the same number of ops (the replays are the eager steps'
 * ops, no more, no fewer). Returns the graph's recorded ops. */
static long expect_graph_equals_eager_loss(const cnn_ops *ops, const graph_scenario *s,
                                          double max_loss)
{
    run_state eager, graph;
    capture_ops_reset_count();
    scenario_run(ops, s, 0, &eager);
    long eager_ops = capture_ops_issued();
    capture_ops_reset_count();
    scenario_run(ops, s, 1, &graph);
    long graph_ops = capture_ops_issued(), recorded = capture_ops_last_graph_len();
    char why[256];
    cr_assert_eq(run_states_identical(&graph, &eager, why, sizeof why), 0,
                 "%s: graph replay and eager launches differ: %s", s->net, why);
    cr_assert_gt(recorded, 0, "%s: no step was captured", s->net);
    cr_assert_eq(graph_ops, eager_ops, "%s: the graph run issued %ld ops, the eager one %ld",
                 s->net, graph_ops, eager_ops);
    cr_assert_lt(eager.res.test_loss, max_loss, "%s did not learn: test loss %g", s->net,
                 eager.res.test_loss);
    cr_log_info("%s: %ld ops recorded per step", s->net, recorded);
    run_state_free(&eager);
    run_state_free(&graph);
    return recorded;
}

/* The same, for a net that must learn (chance is ln 10 = 2.30). */
static long expect_graph_equals_eager(const cnn_ops *ops, const graph_scenario *s)
{
    return expect_graph_equals_eager_loss(ops, s, 2.0);
}

Test(graph, three_epochs_lr_halved_partial_batch)
{
    graph_scenario s = three_epochs(SEED_CNN, NULL);
    expect_graph_equals_eager(&capture_ops, &s);
}

/* Interrupted in the middle of epoch 2 (step 31 of 63) and resumed from
 * what a checkpoint carries: the resumed run regenerates the epoch's order,
 * starts its cursor at step 10 of the epoch, runs one step eagerly and
 * replays the rest; it must end as an uninterrupted eager run does. */
Test(graph, mid_epoch_resume_equals_uninterrupted)
{
    graph_scenario whole = three_epochs(SEED_CNN, NULL), resumed = whole;
    resumed.stop_after_step = 31;
    run_state a, b;
    scenario_run(&capture_ops, &whole, 0, &a);
    scenario_run(&capture_ops, &resumed, 1, &b);
    char why[256];
    cr_assert_eq(run_states_identical(&b, &a, why, sizeof why), 0,
                 "resumed graph run vs uninterrupted eager run: %s", why);
    run_state_free(&a);
    run_state_free(&b);
}

/* Stopped at an epoch's last step (21: it finishes the epoch first) and
 * after the first step (before any capture). */
Test(graph, resume_at_epoch_end_and_before_capture)
{
    graph_scenario whole = three_epochs(SEED_CNN, NULL);
    run_state a;
    scenario_run(&capture_ops, &whole, 0, &a);
    long stops[] = {21, 1};
    for (int k = 0; k < 2; k++) {
        graph_scenario resumed = whole;
        resumed.stop_after_step = stops[k];
        run_state b;
        scenario_run(&capture_ops, &resumed, 1, &b);
        char why[256];
        cr_assert_eq(run_states_identical(&b, &a, why, sizeof why), 0,
                     "stopped after step %ld and resumed: %s", stops[k], why);
        run_state_free(&b);
    }
    run_state_free(&a);
}

/* mlp2's loss, with its small initial weights. */
static void euclid_recipe(train_config *c)
{
    halve_each_epoch(c);
    c->init_std = 0.01f;
}

Test(graph, euclidean_loss)
{
    graph_scenario s = three_epochs("fc64,relu,fc32,relu,fc10,euclid", euclid_recipe);
    expect_graph_equals_eager(&capture_ops, &s);
}

/* Dropout's mask key and bn's running averages change every step; bn after
 * an fc normalises the last step's 30 samples too. */
Test(graph, dropout_and_batch_norm)
{
    graph_scenario s = three_epochs(
        "conv4k3p1,bn,relu,maxpool2,dropout0.3,fc16,bn,relu,dropout0.2,fc10,softmax", NULL);
    expect_graph_equals_eager(&capture_ops, &s);
}

/* The other activations and poolings: with the nets above, every op a net
 * can issue. Global pooling cannot see where a blob is, so this net need
 * only stay finite. */
Test(graph, every_activation_and_pooling)
{
    graph_scenario s = three_epochs("conv4k3p1,lrelu,maxpool2,conv8k3p1,tanh,avgpool2p1,"
                                    "conv8k3p1,sigmoid,gap,fc16,relu,fc10,softmax",
                                    NULL);
    expect_graph_equals_eager_loss(&capture_ops, &s, 2.4);
}

/* Adam's bias correction reads the step count; the rate comes from the
 * schedule at every step, warmup included. */
static void adam_cosine(train_config *c)
{
    c->optimizer = CNN_OPTIM_ADAM;
    c->lr = 0.003f;
    c->lr_schedule = CNN_SCHED_COSINE;
    c->warmup = 0.5f;
    c->decay_bias = 0;
}
static void adamw_onecycle(train_config *c)
{
    c->optimizer = CNN_OPTIM_ADAMW;
    c->lr = 0.003f;
    c->weight_decay = 0.01f;
    c->lr_schedule = CNN_SCHED_ONECYCLE;
}
static void nesterov_linear(train_config *c)
{
    c->optimizer = CNN_OPTIM_NESTEROV;
    c->momentum = 0.9f;
    c->lr_schedule = CNN_SCHED_LINEAR;
    c->warmup = 1.0f;
}

Test(graph, every_optimizer_and_schedule)
{
    void (*tweaks[])(train_config *) = {adam_cosine, adamw_onecycle, nesterov_linear};
    for (int k = 0; k < 3; k++) {
        graph_scenario s = three_epochs(SEED_CNN, tweaks[k]);
        expect_graph_equals_eager(&capture_ops, &s);
    }
}

/* Augmentation draws from the step key in memory. */
static void augmented(train_config *c)
{
    halve_each_epoch(c);
    c->augment = (cnn_augment){2, 10.0f, 0.1f};
}

Test(graph, augmentation)
{
    graph_scenario s = three_epochs(SEED_CNN, augmented);
    expect_graph_equals_eager(&capture_ops, &s);
}

/* A held-out set evaluated between epochs (by eager ops, at its own
 * sizes), after the step was captured, and a resume in the middle. */
Test(graph, validation_between_epochs_and_resume)
{
    graph_scenario s = three_epochs(SEED_CNN, NULL);
    s.train_count = 1230;
    s.val_count = 200;
    expect_graph_equals_eager(&capture_ops, &s);
    graph_scenario resumed = s;
    resumed.stop_after_step = 40;
    run_state a, b;
    scenario_run(&capture_ops, &s, 0, &a);
    scenario_run(&capture_ops, &resumed, 1, &b);
    char why[256];
    cr_assert_eq(run_states_identical(&b, &a, why, sizeof why), 0, "with --val: %s", why);
    cr_assert_eq(b.res.best_val_epoch, a.res.best_val_epoch);
    run_state_free(&a);
    run_state_free(&b);
}

/* A batch larger than the training set: every step is partial, nothing is
 * captured, and the run is the eager one. */
Test(graph, no_full_step_no_capture)
{
    graph_scenario s = {SEED_CNN, 40, 50, 2, 0, 0, halve_each_epoch};
    run_state eager, graph;
    scenario_run(&capture_ops, &s, 0, &eager);
    long before = capture_ops_last_graph_len();
    scenario_run(&capture_ops, &s, 1, &graph);
    cr_assert_eq(capture_ops_last_graph_len(), before, "a step was captured");
    char why[256];
    cr_assert_eq(run_states_identical(&graph, &eager, why, sizeof why), 0, "%s", why);
    run_state_free(&eager);
    run_state_free(&graph);
}
