/* The checkpoints of a training run; see include/saver.h. */
#include "saver.h"
#include "hd/optim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "text_out.h"

#ifdef CNN_TEST_HOOKS
#include <sys/resource.h>

/* build/cnn-hooks only: a file size limit far below a checkpoint's size, so
 * that the save after epoch fail_at_epoch fails in the kernel (EFBIG) the
 * way a full disk would; the returned limit is put back after the save. */
static int limit_file_size(const saver *s, int epochs_done, struct rlimit *old)
{
    if (s->fail_at_epoch <= 0 || epochs_done != s->fail_at_epoch) return 0;
    struct rlimit small;
    if (getrlimit(RLIMIT_FSIZE, old) != 0) return 0;
    small = *old;
    small.rlim_cur = 1024;
    return setrlimit(RLIMIT_FSIZE, &small) == 0;
}
#endif

/* A buffer of n floats in host memory (one at least), or NULL. */
static float *floats(long n) { return malloc(sizeof(float) * (n ? n : 1)); }

/* The net's values into ck (host memory, freed by checkpoint_free); -1
 * when memory runs out. */
static int download(const saver *s, checkpoint *ck)
{
    const net *nt = s->nt;
    const cnn_ops *ops = nt->ops;
    ck->n = nt->n_params;
    ck->state_count = nt->spec.n_state;
    ck->params = floats(ck->n);
    ck->momentum = floats(ck->n);
    ck->state = ck->state_count ? floats(ck->state_count) : NULL;
    ck->moment2 = cnn_optim_keeps_moment2(s->meta.cfg.optimizer) ? floats(ck->n) : NULL;
    if (!ck->params || !ck->momentum || (ck->state_count && !ck->state) ||
        (cnn_optim_keeps_moment2(s->meta.cfg.optimizer) && !ck->moment2))
        return -1;
    ops->download(ck->params, nt->params, sizeof(float) * ck->n);
    ops->download(ck->momentum, nt->momentum, sizeof(float) * ck->n);
    if (ck->state) ops->download(ck->state, nt->state, sizeof(float) * ck->state_count);
    if (ck->moment2) ops->download(ck->moment2, nt->moment2, sizeof(float) * ck->n);
    return 0;
}

int saver_save(saver *s, const char *path, int no_replace, int epochs_done, long steps,
               uint64_t state, char *err, size_t errlen)
{
    if (s->verified_step && *s->verified_step != steps) {
        snprintf(err, errlen, "%s: not writing a checkpoint of the weights after step %ld: no "
                 "evaluation has found them finite", path, steps);
        errno = EINVAL;
        return -1;
    }
    checkpoint ck = {.meta = s->meta};
    ck.meta.epochs_done = epochs_done;
    ck.meta.steps_done = (uint64_t)steps;
    ck.meta.rng_state = state;
    if (download(s, &ck)) {
        checkpoint_free(&ck);
        snprintf(err, errlen, "%s: out of memory writing the checkpoint", path);
        return -1;
    }
#ifdef CNN_TEST_HOOKS
    struct rlimit old;
    int limited = limit_file_size(s, epochs_done, &old);
#endif
    /* (it refuses values that are not finite, naming the layer) */
    int rc = (no_replace ? checkpoint_save_new : checkpoint_save)(path, &ck, err, errlen);
    int save_errno = errno;
#ifdef CNN_TEST_HOOKS
    if (limited) setrlimit(RLIMIT_FSIZE, &old);
#endif
    if (rc == 0 && path == s->save) {
        s->saved = 1;
        s->saved_epochs = epochs_done;
    }
    checkpoint_free(&ck);
    errno = save_errno;
    return rc;
}

int saver_on_epoch(void *ctx, int epochs_done, long steps, uint64_t state)
{
    saver *s = ctx;
    char err[ERR_LINE_MAX];
    if (s->save && s->save_every > 0 && epochs_done % s->save_every == 0 &&
        saver_save(s, s->save, 0, epochs_done, steps, state, err, sizeof err)) {
        print_error("cnn train: %s; training stopped after epoch %d", err, epochs_done);
        return -1;
    }
    return 0;
}

int saver_on_best_val(void *ctx, int epochs_done, long steps, uint64_t state)
{
    saver *s = ctx;
    char err[ERR_LINE_MAX];
    if (s->save_best &&
        saver_save(s, s->save_best, 0, epochs_done, steps, state, err, sizeof err)) {
        print_error("cnn train: --save-best %s; training stopped after epoch %d", err,
                    epochs_done);
        return -1;
    }
    return 0;
}

int saver_interrupt_name(char *path, size_t len)
{
    struct stat st;
    for (int k = 1; k <= 1000; k++) {
        if (k == 1) snprintf(path, len, "%s.ckpt", INTERRUPTED_BASE);
        else snprintf(path, len, "%s-%d.ckpt", INTERRUPTED_BASE, k);
        if (lstat(path, &st) != 0 && errno == ENOENT) return 0;
    }
    return -1;
}

int saver_save_interrupted(saver *s, int epochs_done, long steps, uint64_t state, char *path,
                           size_t len, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        if (saver_interrupt_name(path, len)) break;
        if (saver_save(s, path, 1, epochs_done, steps, state, err, errlen) == 0) return 0;
        if (errno != EEXIST) return -1; /* (EEXIST: another process took the name) */
    }
    snprintf(err, errlen, "%s.ckpt, -2, ... -1000: every name is taken", INTERRUPTED_BASE);
    return -1;
}
