/* Augmentation specs: see include/augment_spec.h. */
#include "augment_spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMS "none, shift:N, affine:ROT,SCALE, flip, or several (e.g. shift:2,affine:10,0.1,flip)"

/* A number at *p: digits with at most one '.', no sign or exponent; *p moves
 * past it. -1 when there is none. */
static int read_number(const char **p, double *v, int integer)
{
    const char *s = *p;
    int digits = 0, dots = 0;
    while ((**p >= '0' && **p <= '9') || (!integer && **p == '.' && !dots)) {
        if (**p == '.') dots++;
        else digits++;
        (*p)++;
    }
    if (!digits || *p - s > 32) return -1;
    char num[40];
    snprintf(num, sizeof num, "%.*s", (int)(*p - s), s);
    *v = strtod(num, NULL);
    return 0;
}

static int bad(char *err, size_t errlen, const char *text)
{
    snprintf(err, errlen, "expected %s; got \"%s\"", FORMS, text);
    return -1;
}

static int out_of_range(char *err, size_t errlen, const char *what, double v, double max,
                        const char *unit)
{
    snprintf(err, errlen, "%s %g is out of range: 0 to %g%s", what, v, max, unit);
    return -1;
}

/* "shift:N" at *p (past the prefix). */
static int parse_shift(const char **p, cnn_augment *a, const char *text, char *err,
                       size_t errlen)
{
    double v;
    if (read_number(p, &v, 1)) return bad(err, errlen, text);
    if (v > AUGMENT_MAX_SHIFT)
        return out_of_range(err, errlen, "shift", v, AUGMENT_MAX_SHIFT, " pixels");
    a->shift = (int)v;
    return 0;
}

/* "affine:ROT,SCALE" at *p (past the prefix). */
static int parse_affine(const char **p, cnn_augment *a, const char *text, char *err,
                        size_t errlen)
{
    double rot, scale;
    if (read_number(p, &rot, 0) || **p != ',') return bad(err, errlen, text);
    (*p)++;
    if (read_number(p, &scale, 0)) return bad(err, errlen, text);
    if (rot > AUGMENT_MAX_ROT)
        return out_of_range(err, errlen, "rotation", rot, AUGMENT_MAX_ROT, " degrees");
    if (scale > AUGMENT_MAX_SCALE)
        return out_of_range(err, errlen, "scale", scale, AUGMENT_MAX_SCALE, "");
    a->rot_deg = (float)rot;
    a->scale = (float)scale;
    return 0;
}

int augment_spec_parse(const char *text, cnn_augment *out, char *err, size_t errlen)
{
    cnn_augment a = {0, 0.0f, 0.0f, 0};
    int have_shift = 0, have_affine = 0;
    const char *p = text;
    if (!strcmp(text, "none")) {
        *out = a;
        return 0;
    }
    for (;;) {
        int rc;
        if (!strncmp(p, "shift:", 6) && !have_shift) {
            p += 6;
            have_shift = 1;
            rc = parse_shift(&p, &a, text, err, errlen);
        } else if (!strncmp(p, "affine:", 7) && !have_affine) {
            p += 7;
            have_affine = 1;
            rc = parse_affine(&p, &a, text, err, errlen);
        } else if (!strncmp(p, "flip", 4) && (!p[4] || p[4] == ',') && !a.flip) {
            p += 4;
            a.flip = 1;
            rc = 0;
        } else {
            return bad(err, errlen, text);
        }
        if (rc) return rc;
        if (!*p) break;
        if (*p++ != ',') return bad(err, errlen, text);
    }
    *out = a;
    return 0;
}

/* v (0 to 180) with the fewest decimals that read back as the same float;
 * never an exponent, which a spec does not take. */
static void shortest(float v, char *buf, size_t len)
{
    for (int decimals = 0; decimals <= 40; decimals++) {
        snprintf(buf, len, "%.*f", decimals, (double)v);
        if (strtof(buf, NULL) == v) return;
    }
}

void augment_spec_format(cnn_augment a, char *buf, size_t len)
{
    char rot[64], scale[64];
    shortest(a.rot_deg, rot, sizeof rot);
    shortest(a.scale, scale, sizeof scale);
    int affine = a.rot_deg != 0 || a.scale != 0;
    size_t at = 0;
    buf[0] = 0;
    if (a.shift) at += (size_t)snprintf(buf + at, len - at, "shift:%d", a.shift);
    if (affine && at < len)
        at += (size_t)snprintf(buf + at, len - at, "%saffine:%s,%s", at ? "," : "", rot, scale);
    if (a.flip && at < len) at += (size_t)snprintf(buf + at, len - at, "%sflip", at ? "," : "");
    if (!at) snprintf(buf, len, "none");
}

void augment_describe(cnn_augment a, char *buf, size_t len)
{
    char rot[64], scale[64];
    size_t at = 0;
    buf[0] = 0;
    shortest(a.rot_deg, rot, sizeof rot);
    shortest(a.scale, scale, sizeof scale);
    if (a.shift) at += (size_t)snprintf(buf + at, len - at, "shift %d", a.shift);
    if (a.rot_deg != 0 && at < len)
        at += (size_t)snprintf(buf + at, len - at, "%srotate +-%s deg", at ? ", " : "", rot);
    if (a.scale != 0 && at < len)
        at += (size_t)snprintf(buf + at, len - at, "%sscale +-%s", at ? ", " : "", scale);
    if (a.flip && at < len)
        at += (size_t)snprintf(buf + at, len - at, "%sflip left-right", at ? ", " : "");
    if (!at) snprintf(buf, len, "none");
}
