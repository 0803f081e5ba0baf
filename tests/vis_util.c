/* See vis_util.h. */
#include "vis_util.h"

#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_util.h"

vis_png vis_read_png(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&img, path), "%s: %s", path, img.message);
    int colour = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
    img.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    vis_png p = {(int)img.width, (int)img.height, colour ? 3 : 1, malloc(PNG_IMAGE_SIZE(img))};
    cr_assert_not_null(p.px);
    cr_assert(png_image_finish_read(&img, NULL, p.px, 0, NULL), "%s: %s", path, img.message);
    return p;
}

void vis_png_free(vis_png *p)
{
    free(p->px);
    p->px = NULL;
}

char *vis_title_of(const char *out, const char *dir, const char *name)
{
    char head[4400];
    snprintf(head, sizeof head, "wrote %s/%s (", dir, name);
    const char *line = strstr(out, head);
    cr_assert_not_null(line, "no \"%s\" line in:\n%s", head, out);
    const char *t = strstr(line, "): ");
    const char *end = strchr(line, '\n');
    cr_assert(t && end && t < end, "no title on the line for %s", name);
    t += 3;
    char *title = malloc((size_t)(end - t) + 1);
    memcpy(title, t, (size_t)(end - t));
    title[end - t] = 0;
    return title;
}

/* Whether the file's bytes hold s (its PNG text is stored uncompressed). */
static int file_holds(const char *dir, const char *name, const char *s)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n, k = strlen(s);
    unsigned char *b = read_file(path, &n);
    int found = 0;
    for (size_t i = 0; !found && i + k <= n; i++) found = !memcmp(b + i, s, k);
    free(b);
    return found;
}

int vis_expect_picture(const char *dir, const char *name, int c, int grid_w, int grid_h,
                       const char *title, int full_contrast)
{
    vis_png p = vis_read_png(dir, name);
    int want_w = grid_w < 400 ? 400 : grid_w, title_h = p.h - grid_h;
    cr_assert_eq(p.c, c, "%s has %d channels, want %d", name, p.c, c);
    cr_assert_eq(p.w, want_w, "%s is %d wide, want %d", name, p.w, want_w);
    cr_assert(title_h >= 14 && title_h <= 70 && title_h % 14 == 0,
              "%s is %d high: not a %d px grid under 1 to 5 title lines", name, p.h, grid_h);
    /* the title: ink at its first pixel, the 4 px under its first line blank */
    cr_assert_eq(p.px[(6 * p.w + 6) * c], 255, "%s: no text at the top-left", name);
    for (int y = 16; y < 20; y++)
        for (int x = 0; x < p.w * c; x++)
            cr_assert_eq(p.px[y * p.w * c + x], 80, "%s: row %d is not blank", name, y);
    int has0 = 0, has255 = 0;
    for (long i = (long)title_h * p.w * c; i < (long)p.w * p.h * c; i++)
        has0 |= p.px[i] == 0, has255 |= p.px[i] == 255;
    cr_assert(!full_contrast || (has0 && has255), "%s has no full contrast", name);
    cr_assert(file_holds(dir, name, title), "%s's PNG text lacks its title \"%s\"", name, title);
    vis_png_free(&p);
    return title_h;
}
