/* The --save-best file a resumed run finds; see include/best_prior.h. */
#include "best_prior.h"

#include <math.h>
#include <string.h>

#include "model.h"
#include "text_out.h"

/* Whether best was written by the run `run` is the checkpoint of: the same
 * network, recipe (every SET_RECIPE setting: --epochs aside, which a resume
 * may raise), input scaling and data, from no later an epoch. */
static int same_run(const checkpoint_meta *best, const checkpoint_meta *run)
{
    return !strcmp(best->spec, run->spec) && !best->unknown_setting[0] &&
           !settings_differ(&best->cfg, &run->cfg, SET_RECIPE) &&
           input_norm_same(&best->norm, &run->norm) &&
           best->train_count == run->train_count && best->train_limit == run->train_limit &&
           best->labels_crc == run->labels_crc && best->epochs_done >= 1 &&
           best->epochs_done <= run->epochs_done;
}

int best_prior(net *nt, const char *path, const checkpoint_meta *run,
               const device_dataset *val, double *acc, int *epoch)
{
    model best;
    char err[ERR_LINE_MAX];
    if (model_read(path, &best, err, sizeof err)) return 0;
    int found = same_run(&best.ck.meta, run) && best.ck.n == nt->n_params &&
                best.ck.state_count == nt->spec.n_state;
    if (found) {
        model_put(&best, nt, 0);
        double loss, best_acc;
        evaluate(nt, val, &loss, &best_acc, NULL);
        /* weights that do not evaluate finite are no best to keep (a cnn
         * before issue 25 could save them) */
        found = isfinite(loss) != 0;
        if (found) {
            *acc = best_acc;
            *epoch = best.ck.meta.epochs_done;
        }
    }
    model_free(&best);
    return found;
}
