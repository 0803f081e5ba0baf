/* The --save-best file a resumed run finds; see include/best_prior.h. */
#include "best_prior.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Whether best and run were trained with the same recipe (--epochs aside: a
 * resume may extend it). */
static int same_recipe(const checkpoint_meta *best, const checkpoint_meta *run)
{
    return best->lr == run->lr && best->lr_gamma == run->lr_gamma &&
           best->lr_step == run->lr_step && best->momentum == run->momentum &&
           best->weight_decay == run->weight_decay && best->optimizer == run->optimizer &&
           best->beta1 == run->beta1 && best->beta2 == run->beta2 && best->eps == run->eps &&
           best->decay_bias == run->decay_bias && best->lr_schedule == run->lr_schedule &&
           best->warmup == run->warmup && best->aug_shift == run->aug_shift &&
           best->aug_rot == run->aug_rot && best->aug_scale == run->aug_scale &&
           best->input_scale == run->input_scale && best->input_shift == run->input_shift;
}

/* Whether best was written by the run `run` is the checkpoint of. */
static int same_run(const checkpoint_meta *best, const checkpoint_meta *run)
{
    return !strcmp(best->spec, run->spec) && same_recipe(best, run) && best->seed == run->seed &&
           best->val == run->val && best->batch == run->batch &&
           best->train_count == run->train_count && best->train_limit == run->train_limit &&
           best->labels_crc == run->labels_crc && best->epochs_done >= 1 &&
           best->epochs_done <= run->epochs_done;
}

int best_prior(net *nt, const char *path, const checkpoint_meta *run,
               const device_dataset *val, double *acc, int *epoch)
{
    checkpoint_meta best;
    float *params = NULL, *mom = NULL;
    long n = 0;
    char err[4400];
    if (checkpoint_load(path, &best, &params, &mom, &n, err, sizeof err)) return 0;
    int found = same_run(&best, run) && n == nt->n_params &&
                best.state_count == nt->spec.n_state;
    if (found) {
        nt->ops->upload(nt->params, params, sizeof(float) * n);
        net_load_state(nt, &best);
        double loss;
        evaluate(nt, val, &loss, acc, NULL);
        *epoch = best.epochs_done;
    }
    free(params);
    free(mom);
    free(best.state);
    free(best.moment2);
    return found;
}
