/* libFuzzer harness for the picture readers (src/io/picture.c, png_io.c,
 * jpeg_io.c, pnm_io.c) and the rule that makes a picture an input
 * (picture_to_input): every input is read as a picture file.
 *
 * A refused file must come with a one-line message and leave nothing in its
 * output; an accepted one must have sides within IMAGE_MAX_SIDE, 1 or 3
 * channels and every byte readable, and must convert to a grey 5x7 and a
 * colour 8x8 input whose bytes equal its own where the size and channels are
 * the same. ASan and LSan check the memory. */
#include "fuzz_common.h"

#include "picture.h"

/* p converted to c x h x w: no crash, and p's own bytes, channel-first, when
 * nothing changes. */
static const char *fz_convert_check(const picture *p, int c, int h, int w)
{
    size_t n = (size_t)c * h * w;
    unsigned char *in = malloc(n);
    if (!in) return NULL;
    const char *problem = NULL;
    if (picture_to_input(p, c, h, w, in) != 0) {
        free(in);
        return NULL; /* (out of memory is no bug) */
    }
    if (p->c == c && p->h == h && p->w == w)
        for (int ch = 0; ch < c && !problem; ch++)
            for (int i = 0; i < h * w; i++)
                if (in[(size_t)ch * h * w + i] != p->px[(size_t)i * c + ch]) {
                    problem = "picture_to_input changed a picture of the asked shape";
                    break;
                }
    free(in);
    return problem;
}

static const char *fuzz_picture_one(const uint8_t *data, size_t size)
{
    char path[64], err[512];
    if (fz_write_slot(0, data, size, path, sizeof path)) return NULL;
    picture p;
    err[0] = 0;
    memset(&p, 0xa5, sizeof p); /* picture_read must set every field either way */
    int rc = picture_read(path, &p, err, sizeof err);
    if (rc != 0) {
        if (rc != -1) return "picture_read returned neither 0 nor -1";
        if (p.px) return "picture_read failed but left pixels in its output";
        return fz_check_err(err, sizeof err, 1);
    }
    const char *problem = NULL;
    if (p.w < 1 || p.h < 1 || p.w > IMAGE_MAX_SIDE || p.h > IMAGE_MAX_SIDE ||
        (p.c != 1 && p.c != 3) || !p.px)
        problem = "picture_read accepted impossible sides or channels";
    if (!problem) {
        volatile unsigned char sum = 0; /* let ASan see every byte */
        for (size_t i = 0; i < (size_t)p.w * p.h * p.c; i++) sum ^= p.px[i];
        (void)sum;
        problem = fz_convert_check(&p, 1, 5, 7);
    }
    if (!problem) problem = fz_convert_check(&p, 3, 8, 8);
    if (!problem && p.w <= 64 && p.h <= 64) problem = fz_convert_check(&p, p.c, p.h, p.w);
    picture_free(&p);
    return problem;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_fail(fuzz_picture_one(data, size));
}
#endif
