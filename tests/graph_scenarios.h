/* Training scenarios that a captured step must survive, run on any backend:
 * the capture-checking CPU backend in CI (test_graph.c) and the GPU
 * (test_gpu.c). Each runs train_run on generated data and returns every
 * value the run leaves in backend memory, so two runs compare to the bit. */
#ifndef CNN_GRAPH_SCENARIOS_H
#define CNN_GRAPH_SCENARIOS_H

#include <stddef.h>

#include "dataset.h"
#include "train.h"

/* count generated 28x28 images: class c is a bright 8x5 rectangle at a
 * place of its own, plus noise. Learnable, and needs no data files. */
dataset blobs(int count, uint64_t seed);

typedef struct {
    const char *name;       /* what it exercises */
    const char *net;        /* a net spec (netspec.h) for 1x28x28 inputs, 10 classes */
    int train_count;        /* training blobs (the test set is 500 others) */
    int batch, epochs;
    int val_count;          /* held out of the training blobs and evaluated each epoch (0: none) */
    long stop_after_step;   /* > 0: interrupted after this global step, then resumed in a
                             * new net from the state it left (as from a checkpoint) */
    void (*tweak)(run_config *c); /* changes the seed-cnn preset's settings (may be NULL) */
    double max_loss;        /* the test loss a run must end below: it learned */
} graph_scenario;

/* Every scenario: the lr changing each epoch, partial last batches, resumes
 * in and between epochs, the Euclidean loss, dropout and bn, every
 * activation and pooling, every optimizer and schedule, augmentation, a
 * held-out set, batches of 512 and 2048. */
extern const graph_scenario graph_scenarios[];
extern const int graph_scenario_count;

/* What a run left: the parameters, momentum, Adam's second moments, the
 * running statistics (bn), the step counter, and its results. */
typedef struct {
    long n_params, n_state;
    float *params, *momentum, *moment2, *state;
    unsigned long long step;
    train_result res;
} run_state;

/* Whether scenarios train on blobs of which every tenth has a wrong label
 * (1, the default). Then the last epoch still has gradients, so a wrong
 * batch, order or cursor in it changes the weights, and expect_graph_equals_
 * eager checks that it did. The cost: such training is chaotic, and two
 * summation orders end far more than a few ulps apart, so a comparison of
 * two backends' weights sets 0 (clean blobs, the gradients dying out by the
 * last epoch) and loses that check (test_gpu.c compares graph with eager on
 * mislabelled blobs first). */
extern int graph_scenarios_mislabel;

/* Runs scenario s on ops, replaying a captured step where graph is set. */
void scenario_run(const cnn_ops *ops, const graph_scenario *s, int graph, run_state *out);

/* Runs s on ops twice: uninterrupted with every op launched (eager), and as
 * s says (a resume included) replaying a captured step (graph). The two
 * must hold the same bits (the test fails naming the first difference),
 * and eager must have learned. */
void expect_graph_equals_eager(const cnn_ops *ops, const graph_scenario *s, run_state *eager,
                               run_state *graph);

/* 0 when a and b hold the same bits in every value of run_state and the
 * same test and held-out losses; else -1 and, in why, the first value that
 * differs. */
int run_states_identical(const run_state *a, const run_state *b, char *why, size_t len);

/* The largest |a - b| over the parameters. */
double run_states_max_param_diff(const run_state *a, const run_state *b);

void run_state_free(run_state *s);

#endif
