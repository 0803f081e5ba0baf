/* The --save-best file a resumed run finds; see include/best_prior.h. */
#include "best_prior.h"

#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* Whether best was written by the run `run` is the checkpoint of. */
static int same_run(const checkpoint_meta *best, const checkpoint_meta *run)
{
    return !strcmp(best->spec, run->spec) && best->seed == run->seed &&
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
