/* Pictures made a model's input for cnn predict; see predict_prep.h. */
#include "predict_prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"

int predict_digit_rule(const checkpoint_meta *m)
{
    /* (any class count; "auto": a checkpoint from before issue 26, all IDX) */
    int idx = m->cfg.format == FORMAT_IDX || m->cfg.format == FORMAT_AUTO;
    return idx && m->in_c == 1 && m->in_h == DIGIT_SIDE && m->in_w == DIGIT_SIDE;
}

/* The digit rule: the picture in grey at its own size, then digit_to_mnist. */
static int prepare_digit(const picture *p, unsigned char *input, predict_prep *how)
{
    gray_image g = {p->w, p->h, malloc((size_t)p->w * p->h)};
    int bad = !g.px || picture_to_input(p, 1, p->h, p->w, g.px) ||
              digit_to_mnist(&g, input, &how->d);
    free(g.px);
    return bad ? -1 : 0;
}

int predict_prepare(const char *path, const checkpoint_meta *m, unsigned char *input,
                    predict_prep *how, char *err, size_t errlen)
{
    picture p;
    memset(how, 0, sizeof *how);
    if (picture_read(path, &p, err, errlen)) return -1;
    how->w = p.w;
    how->h = p.h;
    how->c = p.c;
    how->digit = predict_digit_rule(m);
    int bad = how->digit ? prepare_digit(&p, input, how)
                         : picture_to_input(&p, m->in_c, m->in_h, m->in_w, input);
    picture_free(&p);
    if (bad) snprintf(err, errlen, "%s: out of memory preparing the picture", path);
    return bad ? -1 : 0;
}

/* The digit rule's words (after "WxH grey, "). */
static void describe_digit(const digit_prep_info *d, char *out, size_t len)
{
    int n = snprintf(out, len, "%s", d->inverted ? "inverted (dark on light), " : "");
    if (n < 0 || (size_t)n >= len) return;
    if (d->blank)
        snprintf(out + n, len - n, "blank: nothing but background");
    else if (d->resized)
        snprintf(out + n, len - n,
                 "digit %dx%d at (%d,%d) scaled to %dx%d and centred at (%d,%d) in 28x28",
                 d->box_w, d->box_h, d->box_x, d->box_y, d->scaled_w, d->scaled_h, d->off_x,
                 d->off_y);
    else
        snprintf(out + n, len - n, "used as is");
}

/* picture_to_input's words (after "WxH grey, "). */
static void describe_convert(const predict_prep *how, const checkpoint_meta *m, char *out,
                             size_t len)
{
    const char *chan = how->c == m->in_c ? ""
                       : m->in_c == 1    ? "made grey (luma)"
                                         : "grey copied to 3 channels";
    int resize = how->w != m->in_w || how->h != m->in_h;
    if (!*chan && !resize)
        snprintf(out, len, "used as is");
    else if (!resize)
        snprintf(out, len, "%s", chan);
    else
        snprintf(out, len, "%s%sstretched to %dx%d by area averaging", chan, *chan ? " and " : "",
                 m->in_w, m->in_h);
}

void predict_prep_describe(const predict_prep *how, const checkpoint_meta *m, char *out,
                           size_t len)
{
    int n = snprintf(out, len, "%dx%d %s, ", how->w, how->h, how->c == 1 ? "grey" : "colour");
    if (n < 0 || (size_t)n >= len) return;
    if (how->digit)
        describe_digit(&how->d, out + n, len - n);
    else
        describe_convert(how, m, out + n, len - n);
}
